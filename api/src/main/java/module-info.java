/** nvframe public API: regions, frames, transactions and the error hierarchy. Depends on the JDK only. */
module io.nvframe.api {
  exports io.nvframe.api;
}
