package io.nvframe.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The discovery contract of a {@link BackendProvider}: users find it by name through {@link
 * ServiceLoader}, on the class path and on the module path, so it must be registered twice
 * ({@code META-INF/services} and {@code provides ... with ...}).
 *
 * <p>A backend module adds one subclass in its tests:
 *
 * <pre>{@code
 * class DaxProviderDiscoveryTest extends ProviderDiscoveryContractTest {
 *   protected String backendName() { return "dax"; }
 *   protected Class<? extends BackendProvider> providerClass() { return DaxBackendProvider.class; }
 * }
 * }</pre>
 *
 * <p>The module-path check starts a child JVM whose module path holds the test class path entries
 * that are modules (see {@link ChildJvm#modulePath()}), limited to the TCK and the module that
 * declares the provider, and runs {@link DiscoveryProbe} there.
 */
public abstract class ProviderDiscoveryContractTest {
  /** Valid provider names: lower-case ASCII letters, digits and '-', 1 to 31 characters. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,31}");

  private static final String SERVICE_FILE = "META-INF/services/" + BackendProvider.class.getName();

  /** The name users select the backend by. */
  protected abstract String backendName();

  /** The provider class. */
  protected abstract Class<? extends BackendProvider> providerClass();

  /** True (default) when the backend stores media at a path; false for heap-like backends. */
  protected boolean usesPath() {
    return true;
  }

  /** The configuration passed to {@code probe}: by default {@code dir/probe.nvf}, 1 MiB. */
  protected ProviderConfig probeConfig(Path dir) {
    return new ProviderConfig(usesPath() ? dir.resolve("probe.nvf") : null, 1 << 20, false, Map.of());
  }

  private BackendProvider newProvider() {
    try {
      return providerClass().getConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot instantiate " + providerClass().getName() + " with its no-arg constructor", e);
    }
  }

  @Test
  public void nameIsValidAndMatches() {
    String name = newProvider().name();
    assertEquals(backendName(), name, "name() of " + providerClass().getName());
    assertTrue(NAME.matcher(name).matches(), "provider name '" + name + "' must match " + NAME.pattern());
  }

  @Test
  public void providerClassIsPublicFinalWithPublicNoArgConstructor() throws NoSuchMethodException {
    Class<? extends BackendProvider> c = providerClass();
    assertTrue(Modifier.isPublic(c.getModifiers()), c.getName() + " must be public");
    assertTrue(Modifier.isFinal(c.getModifiers()), c.getName() + " must be final");
    assertFalse(c.isMemberClass() && !Modifier.isStatic(c.getModifiers()), c.getName() + " must not be an inner class");
    Constructor<? extends BackendProvider> ctor = c.getConstructor();
    assertTrue(Modifier.isPublic(ctor.getModifiers()), c.getName() + " needs a public no-arg constructor");
  }

  @Test
  public void foundByNameOnTheClassPath() throws IOException {
    List<String> matches = new ArrayList<>();
    List<String> all = new ArrayList<>();
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class, providerClass().getClassLoader())) {
      all.add(p.name() + "=" + p.getClass().getName());
      if (p.name().equals(backendName())) {
        matches.add(p.getClass().getName());
      }
    }
    assertEquals(List.of(providerClass().getName()), matches,
        "exactly one provider named '" + backendName() + "' on the class path; found " + all);
    boolean listed = false;
    for (URL url : Collections.list(providerClass().getClassLoader().getResources(SERVICE_FILE))) {
      try (var in = url.openStream()) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        listed |= text.lines().map(l -> l.replaceAll("#.*", "").trim()).anyMatch(providerClass().getName()::equals);
      }
    }
    assertTrue(listed, providerClass().getName() + " must be listed in " + SERVICE_FILE);
  }

  @Test
  public void metadataIsConsistent() {
    BackendProvider p = newProvider();
    Set<Capability> caps = p.capabilities();
    assertNotNull(caps, "capabilities()");
    assertTrue(caps.contains(Capability.VOLATILE) ^ caps.contains(Capability.DURABLE),
        "exactly one of VOLATILE and DURABLE: " + caps);
    assertEquals(BackendProvider.SPI_VERSION, p.spiVersion(), "spiVersion()");
    assertFalse(p.description() == null || p.description().isBlank(), "description()");
  }

  @Test
  public void probeGivesAReasonAndHasNoSideEffects(@TempDir Path dir) throws IOException {
    Availability a = newProvider().probe(probeConfig(dir));
    assertNotNull(a, "probe result");
    assertFalse(a.reason().isBlank(), "probe must explain its answer, available or not");
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "probe must not create anything");
    }
  }

  @Test
  public void foundByNameOnTheModulePath(@TempDir Path dir) {
    List<Path> modulePath = ChildJvm.modulePath();
    String providerModule = declaringModule(modulePath);
    Path out = dir.resolve("providers.txt");
    List<String> command = new ArrayList<>();
    command.add(ChildJvm.javaExecutable());
    command.add("--module-path");
    command.add(modulePath.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator)));
    command.add("--limit-modules");
    command.add("io.nvframe.tck," + providerModule);
    command.add("-m");
    command.add("io.nvframe.tck/" + DiscoveryProbe.class.getName());
    command.add(out.toString());
    ChildJvm.Finished run = ChildJvm.run(command, dir, "discovery", 120);
    assertEquals(0, run.exitCode(), () -> "child JVM " + String.join(" ", command) + "\n" + run.describe());
    List<String> lines;
    try {
      lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String expected = "provider " + backendName() + " " + providerClass().getName() + " " + providerModule;
    assertTrue(lines.contains(expected),
        "on the module path ServiceLoader must find '" + expected + "'; it found " + lines + "\n" + run.describe());
  }

  /** The module on {@code modulePath} that declares {@code provides BackendProvider with <class>}. */
  private String declaringModule(List<Path> modulePath) {
    String service = BackendProvider.class.getName();
    List<String> seen = new ArrayList<>();
    for (Path entry : modulePath) {
      for (ModuleReference ref : ModuleFinder.of(entry).findAll()) {
        ModuleDescriptor d = ref.descriptor();
        seen.add(d.name());
        for (ModuleDescriptor.Provides p : d.provides()) {
          if (p.service().equals(service) && p.providers().contains(providerClass().getName())) {
            return d.name();
          }
        }
      }
    }
    return fail("no module on the test class path declares 'provides " + service + " with "
        + providerClass().getName() + "' in its module-info; modules seen: " + seen);
  }
}
