package io.nvframe.cli;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The PNG of {@code nvframe bench --backends ... --chart FILE}: one bar chart per operation, side by
 * side, with a bar per backend for each thread count; the bar is the median ops/s (log scale, as
 * backends differ by orders of magnitude), labelled with its value. Drawn headless with XChart.
 */
final class BenchChart {
  private static final int PANEL_WIDTH = 600;
  private static final int PANEL_HEIGHT = 520;

  /** A fixed colour per backend (by position in the run), readable on white and in grey print. */
  private static final Color[] COLORS = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
    new Color(0x8c564b)
  };

  private BenchChart() {}

  static void write(Path file, List<BackendComparison.Point> points, List<BackendComparison.Skipped> skipped,
      String subtitle) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Set<String> ops = new LinkedHashSet<>();
    Set<String> backends = new LinkedHashSet<>();
    Set<Integer> threads = new LinkedHashSet<>();
    for (BackendComparison.Point p : points) {
      ops.add(p.op());
      backends.add(p.backend());
      threads.add(p.threads());
    }
    List<CategoryChart> panels = new ArrayList<>();
    if (points.isEmpty()) {
      ops.add("no backend measured");
    }
    String note = skipped.isEmpty() ? subtitle
        : subtitle + "; skipped: " + String.join(", ", skipped.stream().map(BackendComparison.Skipped::backend).toList());
    for (String op : ops) {
      panels.add(panel(op, points, backends, threads, note, skipped));
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(panels, 1, panels.size(), out, BitmapEncoder.BitmapFormat.PNG);
    }
  }

  private static CategoryChart panel(String op, List<BackendComparison.Point> points, Set<String> backends,
      Set<Integer> threads, String subtitle, List<BackendComparison.Skipped> skipped) {
    CategoryChart chart = new CategoryChartBuilder()
        .width(PANEL_WIDTH)
        .height(PANEL_HEIGHT)
        .title(op)
        .xAxisTitle("threads; " + subtitle)
        .yAxisTitle("ops/s, median (log scale)")
        .build();
    Styler.ChartTheme theme = Styler.ChartTheme.XChart;
    chart.getStyler().setTheme(theme.newInstance(theme));
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    chart.getStyler().setLabelsRotation(90);
    chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    chart.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    chart.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    chart.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    chart.getStyler().setYAxisDecimalPattern("#,###");
    chart.getStyler().setSeriesColors(COLORS);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    // a log axis needs explicit positive bounds: whole powers of ten around all panels' values
    double min = points.stream().mapToDouble(BackendComparison.Point::opsPerSec).filter(v -> v > 0).min().orElse(1);
    double max = points.stream().mapToDouble(BackendComparison.Point::opsPerSec).max().orElse(10);
    // one decade below the smallest value, so that the shortest bar still holds its label
    chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min)) - 1));
    chart.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(Math.max(max, 10) * 1.5))));
    List<String> categories = threads.stream().map(t -> t + (t == 1 ? " thread" : " threads")).toList();
    int series = 0;
    int backendIndex = -1;
    for (String backend : backends) {
      backendIndex++; // a backend keeps its colour in every panel, also where others have no bars
      List<Double> values = new ArrayList<>();
      for (int t : threads) {
        values.add(points.stream()
            .filter(p -> p.op().equals(op) && p.backend().equals(backend) && p.threads() == t)
            .mapToDouble(BackendComparison.Point::opsPerSec).findFirst().orElse(Double.NaN));
      }
      if (values.stream().anyMatch(v -> !v.isNaN())) {
        String mode = points.stream().filter(p -> p.backend().equals(backend)).map(BackendComparison.Point::mode)
            .findFirst().filter(m -> !m.equals("-")).map(m -> " (" + m + ")").orElse("");
        chart.addSeries(backend + mode, categories, values).setFillColor(COLORS[backendIndex % COLORS.length]);
        series++;
      }
    }
    if (series == 0) {
      String why = skipped.isEmpty() ? "nothing measured" : "skipped: " + String.join(", ",
          skipped.stream().map(BackendComparison.Skipped::backend).toList());
      chart.addSeries(why, List.of("-"), List.of(1.0));
    }
    return chart;
  }
}
