package io.nvframe.api;

/** Redo-log replay failed; the message carries the lane and log position. */
public final class RecoveryException extends NvframeException {
  public RecoveryException(String message) {
    super(ErrorCode.RECOVERY_FAILED, message, null);
  }

  public RecoveryException(String message, Throwable cause) {
    super(ErrorCode.RECOVERY_FAILED, message, cause);
  }

  public RecoveryException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public RecoveryException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
