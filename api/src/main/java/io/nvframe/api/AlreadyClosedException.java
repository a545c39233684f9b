package io.nvframe.api;

/** A region, medium or transaction was used after it was closed. */
public final class AlreadyClosedException extends IllegalStateException {
  public AlreadyClosedException(String message) {
    super(message);
  }

  public AlreadyClosedException(String message, Throwable cause) {
    super(message, cause);
  }
}
