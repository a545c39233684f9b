package io.nvframe.api;

/** The region was written by a newer format version, or by a backend that is not installed. */
public final class UnsupportedFormatException extends NvframeException {
  public UnsupportedFormatException(String message) {
    super(ErrorCode.FORMAT_TOO_NEW, message, null);
  }

  public UnsupportedFormatException(String message, Throwable cause) {
    super(ErrorCode.FORMAT_TOO_NEW, message, cause);
  }

  public UnsupportedFormatException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public UnsupportedFormatException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
