package io.nvframe.api;

/** The region is already open in another process or elsewhere in this process. */
public final class RegionLockedException extends NvframeException {
  public RegionLockedException(String message) {
    super(ErrorCode.REGION_LOCKED, message, null);
  }

  public RegionLockedException(String message, Throwable cause) {
    super(ErrorCode.REGION_LOCKED, message, cause);
  }

  public RegionLockedException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public RegionLockedException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
