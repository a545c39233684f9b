package io.nvframe.arch;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import io.nvframe.core.archfixture.BadCore;
import io.nvframe.tck.archfixture.BadTestKit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each rule below must reject the deliberately bad {@link BadCore} and {@link BadTestKit}: the rules
 * can fail.
 */
class ArchitectureSelfTest {
  private static final JavaClasses BAD = new ClassFileImporter().importClasses(BadCore.class, BadTestKit.class);

  static Stream<String> rulesThatMustFail() {
    return Stream.of(
        "core_never_imports_a_backend",
        "libraries_do_not_write_to_standard_streams",
        "loggers_are_private_static_final",
        "public_concrete_classes_are_final",
        "no_generic_exceptions_are_thrown",
        "no_context_class_loader",
        "only_the_allocator_knows_the_frame_word",
        "only_core_uses_the_allocator_and_the_log");
  }

  @ParameterizedTest
  @MethodSource("rulesThatMustFail")
  void ruleRejectsTheBadFixture(String field) throws ReflectiveOperationException {
    ArchRule rule = (ArchRule) ArchitectureTest.class.getDeclaredField(field).get(null);
    assertThrows(AssertionError.class, () -> rule.check(BAD), field + " accepted a violation");
  }
}
