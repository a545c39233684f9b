package com.example.nvframe.chronicle;

// tag::contract-test[]
import io.nvframe.spi.BackendProvider;
import io.nvframe.tck.MediumContractTest;

/** The test kit's medium contract on the chronicle backend (every durable-file test applies). */
class ChronicleMediumContractTest extends MediumContractTest {
  @Override
  protected BackendProvider provider() {
    return new ChronicleBackendProvider();
  }
}
// end::contract-test[]
