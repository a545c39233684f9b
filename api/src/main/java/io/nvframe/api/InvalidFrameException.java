package io.nvframe.api;

/** A frame handle cannot be used: stale (freed), double free, not a block head, of another region, or an access outside the frame. */
public final class InvalidFrameException extends NvframeException {
  public InvalidFrameException(String message) {
    super(ErrorCode.FRAME_STALE, message, null);
  }

  public InvalidFrameException(String message, Throwable cause) {
    super(ErrorCode.FRAME_STALE, message, cause);
  }

  public InvalidFrameException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public InvalidFrameException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
