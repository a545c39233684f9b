package io.nvframe.api;

/** A transaction could not lock a frame that another transaction holds. */
public final class TransactionConflictException extends NvframeException {
  public TransactionConflictException(String message) {
    super(ErrorCode.TX_CONFLICT, message, null);
  }

  public TransactionConflictException(String message, Throwable cause) {
    super(ErrorCode.TX_CONFLICT, message, cause);
  }

  public TransactionConflictException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public TransactionConflictException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
