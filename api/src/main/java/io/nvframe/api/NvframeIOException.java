package io.nvframe.api;

/** An I/O call failed (open, map, force, truncate, lock); the cause is kept. */
public final class NvframeIOException extends NvframeException {
  public NvframeIOException(String message) {
    super(ErrorCode.IO_ERROR, message, null);
  }

  public NvframeIOException(String message, Throwable cause) {
    super(ErrorCode.IO_ERROR, message, cause);
  }

  public NvframeIOException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public NvframeIOException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
