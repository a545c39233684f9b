package io.nvframe.api;

/** A transaction's redo record does not fit in its log lane; nothing was written. */
public final class TransactionTooLargeException extends NvframeException {
  public TransactionTooLargeException(String message) {
    super(ErrorCode.TX_TOO_LARGE, message, null);
  }

  public TransactionTooLargeException(String message, Throwable cause) {
    super(ErrorCode.TX_TOO_LARGE, message, cause);
  }

  public TransactionTooLargeException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public TransactionTooLargeException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
