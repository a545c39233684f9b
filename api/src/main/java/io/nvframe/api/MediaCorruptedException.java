package io.nvframe.api;

/** Persistent data failed validation: bad magic, checksum or impossible value; the message gives the offset, expected and actual values. */
public final class MediaCorruptedException extends NvframeException {
  public MediaCorruptedException(String message) {
    super(ErrorCode.HEADER_CORRUPT, message, null);
  }

  public MediaCorruptedException(String message, Throwable cause) {
    super(ErrorCode.HEADER_CORRUPT, message, cause);
  }

  public MediaCorruptedException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public MediaCorruptedException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
