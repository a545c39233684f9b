package io.nvframe.api;

/** An allocation cannot be satisfied; the message names the order asked for, the free frames and the largest free order. */
public final class OutOfFramesException extends NvframeException {
  public OutOfFramesException(String message) {
    super(ErrorCode.OUT_OF_FRAMES, message, null);
  }

  public OutOfFramesException(String message, Throwable cause) {
    super(ErrorCode.OUT_OF_FRAMES, message, cause);
  }

  public OutOfFramesException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public OutOfFramesException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
