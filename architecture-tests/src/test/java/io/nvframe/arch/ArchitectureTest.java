package io.nvframe.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.fields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaConstructor;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.GeneralCodingRules;
import io.nvframe.api.NvframeException;
import io.nvframe.spi.BackendProvider;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The module graph of README.md (Modules) and docs/decisions.md as executable rules over the
 * production classes of every module (benchmarks are not among them: they measure the allocator
 * and the log directly, on the class path). Zero exemptions: a rule that needs one is a design
 * discussion, not a list entry.
 *
 * <p>Each {@code @ArchTest} field is one rule, run as one dynamic test named after the field.
 */
class ArchitectureTest {
  /** Marks a rule field. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.FIELD)
  @interface ArchTest {}

  private static final JavaClasses CLASSES =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.nvframe");

  @TestFactory
  Stream<DynamicTest> rules() throws IllegalAccessException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Field f : ArchitectureTest.class.getDeclaredFields()) {
      if (f.isAnnotationPresent(ArchTest.class) && Modifier.isStatic(f.getModifiers())) {
        ArchRule rule = (ArchRule) f.get(null);
        tests.add(DynamicTest.dynamicTest(f.getName(), () -> rule.check(CLASSES)));
      }
    }
    if (tests.size() < 20) {
      throw new IllegalStateException("expected the rule fields, found " + tests.size());
    }
    return tests.stream();
  }

  @org.junit.jupiter.api.Test
  void theImportSeesEveryModule() {
    for (String pkg : new String[] {"io.nvframe.api", "io.nvframe.spi", "io.nvframe.core", "io.nvframe.buddy",
        "io.nvframe.redo", "io.nvframe.backend.heap", "io.nvframe.backend.dax", "io.nvframe.tck", "io.nvframe.cli"}) {
      org.junit.jupiter.api.Assertions.assertTrue(CLASSES.containPackage(pkg), "no classes imported from " + pkg);
    }
  }
  private static final String API = "io.nvframe.api..";
  private static final String SPI = "io.nvframe.spi..";
  private static final String CORE = "io.nvframe.core..";
  private static final String BUDDY = "io.nvframe.buddy..";
  private static final String REDO = "io.nvframe.redo..";
  private static final String BACKENDS = "io.nvframe.backend..";
  private static final String TCK = "io.nvframe.tck..";
  private static final String CLI = "io.nvframe.cli..";

  // 1. layering

  @ArchTest
  static final ArchRule api_depends_only_on_the_jdk =
      classes().that().resideInAPackage(API)
          .should().onlyDependOnClassesThat().resideInAnyPackage(API, "java..")
          .because("applications compile against api alone (README.md, Modules)");

  @ArchTest
  static final ArchRule spi_depends_only_on_api_and_the_jdk =
      classes().that().resideInAPackage(SPI)
          .should().onlyDependOnClassesThat().resideInAnyPackage(SPI, API, "java..")
          .because("backend authors implement spi with no other nvframe or third-party type in sight");

  @ArchTest
  static final ArchRule allocator_log_and_backends_use_only_the_jdk_slf4j_and_nvframe =
      classes().that().resideInAnyPackage(BUDDY, REDO, BACKENDS)
          .should().onlyDependOnClassesThat()
          .resideInAnyPackage("java..", "jdk..", "com.sun.management..", "org.slf4j..", "io.nvframe..")
          .because("implementation modules need no third-party library (README.md, Modules); com.sun.management is "
              + "the JDK's jdk.management module (backend-dax reads the JVM's compiler flags, WritebackStubs)");

  @ArchTest
  static final ArchRule implementation_modules_stay_within_their_own_package =
      noClasses().that().resideInAnyPackage(BUDDY, REDO, BACKENDS)
          .should().dependOnClassesThat().resideInAnyPackage(CORE, TCK, CLI)
          .because("allocator, log and backends must not know who uses them");

  @ArchTest
  static final ArchRule core_never_imports_a_backend =
      noClasses().that().resideInAPackage(CORE)
          .should().dependOnClassesThat().resideInAnyPackage(BACKENDS, TCK, CLI)
          .because("backends are found at run time through ServiceLoader (docs/writing-a-backend.md)");

  @ArchTest
  static final ArchRule no_backend_depends_on_another_backend =
      slices().matching("io.nvframe.backend.(*)..").should().notDependOnEachOther()
          .because("backends are independent plug-ins");

  @ArchTest
  static final ArchRule the_allocator_does_not_use_the_log =
      noClasses().that().resideInAPackage(BUDDY).should().dependOnClassesThat().resideInAPackage(REDO)
          .because("the allocator and the log meet only in core");

  @ArchTest
  static final ArchRule the_log_does_not_use_the_allocator =
      noClasses().that().resideInAPackage(REDO).should().dependOnClassesThat().resideInAPackage(BUDDY)
          .because("the allocator and the log meet only in core");

  @ArchTest
  static final ArchRule backends_do_not_use_the_allocator_or_the_log =
      noClasses().that().resideInAPackage(BACKENDS)
          .should().dependOnClassesThat().resideInAnyPackage(BUDDY, REDO)
          .because("backends see only api and spi");

  @ArchTest
  static final ArchRule only_the_allocator_knows_the_frame_word =
      noClasses().that().resideOutsideOfPackage(BUDDY)
          .should().dependOnClassesThat().haveFullyQualifiedName("io.nvframe.buddy.FrameWord")
          .because("the frame word format lives in allocator-buddy alone; core writes the words that "
              + "BuddyAllocator.publishedWord/freedWord return (allocator-buddy/README.md)");

  @ArchTest
  static final ArchRule only_core_uses_the_allocator_and_the_log =
      noClasses().that().resideOutsideOfPackages(BUDDY, REDO, CORE)
          .should().dependOnClassesThat().resideInAnyPackage(BUDDY, REDO)
          .because("allocator-buddy and log-redo export their packages only to io.nvframe.core "
              + "(their module-info.java)");

  // 2. no cycles

  @ArchTest
  static final ArchRule module_packages_are_free_of_cycles =
      slices().matching("io.nvframe.(*)..").should().beFreeOfCycles();

  // 3. no use of another module's internal package

  @ArchTest
  static final ArchRule internal_packages_are_used_only_by_their_module =
      classes().that().resideInAPackage("io.nvframe.(*).internal..")
          .should(beUsedOnlyFromTheirOwnModule())
          .allowEmptyShould(true)
          .because("internal packages are not API (OTel InternalApiProtectionTest)");

  // 4. api/spi signatures mention only JDK and api/spi types

  @ArchTest
  static final ArchRule api_and_spi_signatures_mention_only_jdk_api_and_spi_types =
      methods().that().arePublic()
          .and().areDeclaredInClassesThat().resideInAnyPackage(API, SPI)
          .should(mentionOnlyAllowedTypes())
          .because("no Guava, SLF4J or Chronicle types may leak into the contracts (OTel SdkDesignTest)");

  // 5. restricted libraries

  @ArchTest
  static final ArchRule nobody_uses_sun_misc_unsafe =
      noClasses().should().dependOnClassesThat().haveFullyQualifiedName("sun.misc.Unsafe")
          .because("the FFM API replaces it; it fails under --sun-misc-unsafe-memory-access=deny");

  @ArchTest
  static final ArchRule chronicle_stays_out_of_library_modules =
      noClasses().should().dependOnClassesThat().resideInAPackage("net.openhft..")
          .because("library modules use no third-party library beyond SLF4J (README.md, Modules)");

  // 6. exceptions

  @ArchTest
  static final ArchRule nvframe_exceptions_live_in_api_and_are_final =
      classes().that().areAssignableTo(NvframeException.class)
          .and().doNotHaveModifier(JavaModifier.ABSTRACT)
          .should().resideInAPackage(API).andShould().haveSimpleNameEndingWith("Exception")
          .andShould().haveModifier(JavaModifier.FINAL);

  @ArchTest
  static final ArchRule no_generic_exceptions_are_thrown =
      GeneralCodingRules.NO_CLASSES_SHOULD_THROW_GENERIC_EXCEPTIONS;

  // 7. logging

  @ArchTest
  static final ArchRule no_java_util_logging = GeneralCodingRules.NO_CLASSES_SHOULD_USE_JAVA_UTIL_LOGGING;

  @ArchTest
  static final ArchRule libraries_do_not_write_to_standard_streams =
      noClasses().that().resideOutsideOfPackages(CLI, TCK)
          .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS)
          .because("libraries log through SLF4J; only the CLI prints (and the TCK's child-JVM probes)");

  @ArchTest
  static final ArchRule loggers_are_private_static_final =
      fields().that().haveRawType("org.slf4j.Logger")
          .should().bePrivate().andShould().beStatic().andShould().beFinal();

  @ArchTest
  static final ArchRule api_and_spi_do_not_log =
      noClasses().that().resideInAnyPackage(API, SPI)
          .should().dependOnClassesThat().resideInAPackage("org.slf4j..");

  // 8. providers

  @ArchTest
  static final ArchRule backend_providers_are_public_final_with_a_no_arg_constructor =
      classes().that().implement(BackendProvider.class)
          .should().bePublic().andShould().haveModifier(JavaModifier.FINAL)
          .andShould().haveSimpleNameEndingWith("Provider")
          .andShould(haveAPublicNoArgConstructor())
          .because("ServiceLoader instantiates them (docs/writing-a-backend.md)");

  // 9. public concrete classes are final

  @ArchTest
  static final ArchRule public_concrete_classes_are_final =
      classes().that().arePublic().and().areNotInterfaces().and().areNotEnums().and().areNotRecords()
          .and().doNotHaveModifier(JavaModifier.ABSTRACT).and().areTopLevelClasses()
          .should().haveModifier(JavaModifier.FINAL)
          .because("classes not designed for inheritance are final (ArchUnit PublicAPIRules)");

  // 10. class loaders and threads

  @ArchTest
  static final ArchRule no_context_class_loader =
      noClasses().should().callMethod(Thread.class, "getContextClassLoader")
          .because("providers are loaded from an explicit class loader (Lucene forbidden-apis)");

  @ArchTest
  static final ArchRule executors_get_named_thread_factories =
      noClasses().should(createExecutorsWithoutThreadFactory())
          .because("threads must have names (Lucene forbidden-apis)");

  private static ArchCondition<JavaClass> beUsedOnlyFromTheirOwnModule() {
    return new ArchCondition<>("be used only from their own module") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        String module = moduleOf(item.getPackageName());
        item.getDirectDependenciesToSelf().forEach(d -> {
          if (!moduleOf(d.getOriginClass().getPackageName()).equals(module)) {
            events.add(SimpleConditionEvent.violated(d, d.getDescription()));
          }
        });
      }
    };
  }

  private static String moduleOf(String pkg) {
    String[] parts = pkg.split("\\.");
    return parts.length >= 3 ? parts[2] : pkg;
  }

  private static ArchCondition<JavaMethod> mentionOnlyAllowedTypes() {
    return new ArchCondition<>("mention only java.., io.nvframe.api.. and io.nvframe.spi.. types") {
      @Override
      public void check(JavaMethod method, ConditionEvents events) {
        List<JavaClass> mentioned = new java.util.ArrayList<>(method.getRawParameterTypes());
        mentioned.add(method.getRawReturnType());
        for (JavaType t : method.getThrowsClause().getTypes()) {
          mentioned.add(t.toErasure());
        }
        for (JavaClass c : mentioned) {
          JavaClass base = c.isArray() ? c.getBaseComponentType() : c;
          String p = base.getPackageName();
          boolean ok = base.isPrimitive() || p.startsWith("java.") || p.startsWith("io.nvframe.api")
              || p.startsWith("io.nvframe.spi");
          if (!ok) {
            events.add(SimpleConditionEvent.violated(method, method.getFullName() + " mentions " + base.getName()));
          }
        }
      }
    };
  }

  private static ArchCondition<JavaClass> haveAPublicNoArgConstructor() {
    return new ArchCondition<>("have a public no-arg constructor") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        boolean found = false;
        for (JavaConstructor c : item.getConstructors()) {
          if (c.getModifiers().contains(JavaModifier.PUBLIC) && c.getRawParameterTypes().isEmpty()) {
            found = true;
          }
        }
        if (!found) {
          events.add(SimpleConditionEvent.violated(item, item.getName() + " has no public no-arg constructor"));
        }
      }
    };
  }

  private static ArchCondition<JavaClass> createExecutorsWithoutThreadFactory() {
    return new ArchCondition<>("create executors without a ThreadFactory") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        for (JavaMethodCall call : item.getMethodCallsFromSelf()) {
          if (call.getTargetOwner().isEquivalentTo(java.util.concurrent.Executors.class)
              && call.getName().startsWith("new")
              && call.getTarget().getRawParameterTypes().stream()
                  .noneMatch(p -> p.isEquivalentTo(java.util.concurrent.ThreadFactory.class))) {
            events.add(SimpleConditionEvent.satisfied(call, call.getDescription()));
          }
        }
      }
    };
  }
}
