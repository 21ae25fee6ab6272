import Foundation

/// `train --plot loss.svg`: the reported losses against the step, as a
/// standalone SVG line chart (SPEC §5) written by hand, with no dependency.
///
/// One polyline per series (the training loss; the test loss with `--test`),
/// one point per reported step (a non-finite test loss leaves its point out);
/// axes labelled `step` and `loss`, ticks at round values (1, 2 or 5 times a
/// power of ten, or whole decades on a logarithmic axis); a logarithmic y axis
/// iff every plotted value is > 0 and max/min > 100; a legend when there are
/// two lines.
public enum LossPlot {
  static let width = 640.0
  static let height = 400.0
  /// The plotting area's margins: left, right, top, bottom.
  static let margin = (left: 78.0, right: 24.0, top: 24.0, bottom: 56.0)
  static let colors = ["#1f77b4", "#d62728"]

  /// An axis: its range in data units (log10 of them when logarithmic) and its ticks.
  struct Axis {
    var low: Double
    var high: Double
    var ticks: [(value: Double, label: String)]
    var logarithmic: Bool
  }

  /// The chart of `loss` (and `test`, one per loss entry) against the steps.
  public static func svg(losses: [(step: Int, loss: Double)], testLosses: [Double]?) -> String {
    var series: [(name: String, points: [(Double, Double)])] = [
      ("training loss", losses.map { (Double($0.step), $0.loss) })
    ]
    if let test = testLosses {
      series.append(
        ("test loss", zip(losses, test).compactMap { $1.isFinite ? (Double($0.step), $1) : nil }))
    }
    let values = series.flatMap { $0.points.map(\.1) }.filter(\.isFinite)
    let steps = losses.map { Double($0.step) }
    let x = linearAxis(steps.min() ?? 1, steps.max() ?? 1, integers: true)
    let logarithmic =
      !values.isEmpty && values.allSatisfy { $0 > 0 } && (values.max()! / values.min()!) > 100
    let y =
      logarithmic
      ? logAxis(values.min()!, values.max()!)
      : linearAxis(values.min() ?? 0, values.max() ?? 0, integers: false)

    let plot = (
      left: margin.left, right: width - margin.right, top: margin.top,
      bottom: height - margin.bottom
    )
    func px(_ v: Double) -> Double {
      plot.left + (v - x.low) / (x.high - x.low) * (plot.right - plot.left)
    }
    func py(_ v: Double) -> Double {
      let t = logarithmic ? Foundation.log10(v) : v
      return plot.bottom - (t - y.low) / (y.high - y.low) * (plot.bottom - plot.top)
    }

    var out = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>

      """
    // Grid and ticks.
    for tick in x.ticks {
      let at = px(tick.value)
      out +=
        "<line x1=\"\(f(at))\" y1=\"\(f(plot.top))\" x2=\"\(f(at))\" y2=\"\(f(plot.bottom))\" stroke=\"#e5e5e5\"/>\n"
      out +=
        "<text class=\"x-tick\" x=\"\(f(at))\" y=\"\(f(plot.bottom + 18))\" text-anchor=\"middle\">\(tick.label)</text>\n"
    }
    for tick in y.ticks {
      let at = plot.bottom - (tick.value - y.low) / (y.high - y.low) * (plot.bottom - plot.top)
      out +=
        "<line x1=\"\(f(plot.left))\" y1=\"\(f(at))\" x2=\"\(f(plot.right))\" y2=\"\(f(at))\" stroke=\"#e5e5e5\"/>\n"
      out +=
        "<text class=\"y-tick\" x=\"\(f(plot.left - 8))\" y=\"\(f(at + 4))\" text-anchor=\"end\">\(tick.label)</text>\n"
    }
    out +=
      "<rect x=\"\(f(plot.left))\" y=\"\(f(plot.top))\" width=\"\(f(plot.right - plot.left))\" height=\"\(f(plot.bottom - plot.top))\" fill=\"none\" stroke=\"#333\"/>\n"
    out +=
      "<text x=\"\(f((plot.left + plot.right) / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">step</text>\n"
    let yLabel = logarithmic ? "loss (log scale)" : "loss"
    out +=
      "<text x=\"18\" y=\"\(f((plot.top + plot.bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f((plot.top + plot.bottom) / 2)))\">\(yLabel)</text>\n"
    // The lines.
    for (k, line) in series.enumerated() {
      let points = line.points.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
      out +=
        "<polyline class=\"series\" data-name=\"\(line.name)\" fill=\"none\" stroke=\"\(colors[k])\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
    }
    if series.count > 1 {
      let left = plot.right - 130
      out +=
        "<rect x=\"\(f(left - 8))\" y=\"\(f(plot.top + 8))\" width=\"130\" height=\"46\" fill=\"white\" stroke=\"#999\"/>\n"
      for (k, line) in series.enumerated() {
        let at = plot.top + 24 + Double(k) * 18
        out +=
          "<line x1=\"\(f(left))\" y1=\"\(f(at - 4))\" x2=\"\(f(left + 24))\" y2=\"\(f(at - 4))\" stroke=\"\(colors[k])\" stroke-width=\"1.5\"/>\n"
        out += "<text x=\"\(f(left + 32))\" y=\"\(f(at))\">\(line.name)</text>\n"
      }
    }
    out += "</svg>\n"
    return out
  }

  /// Coordinates to two decimals, trailing zeros trimmed.
  static func f(_ v: Double) -> String {
    var text = String(format: "%.2f", v)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
  }

  /// A linear axis from the round tick at or below `low` to the one at or
  /// above `high`, about five intervals; a zero-width range is widened
  /// around its value.
  static func linearAxis(_ low: Double, _ high: Double, integers: Bool) -> Axis {
    var (low, high) = (low, high)
    if low == high {
      let half = integers || low == 0 ? 1 : abs(low) * 0.1
      (low, high) = (low - half, high + half)
    }
    let raw = (high - low) / 5
    var exponent = Foundation.floor(Foundation.log10(raw))
    var mantissa = raw / Foundation.pow(10, exponent)
    mantissa = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10
    if mantissa == 10 { (mantissa, exponent) = (1, exponent + 1) }
    if integers, mantissa * Foundation.pow(10, exponent) < 1 { (mantissa, exponent) = (1, 0) }
    let step = mantissa * Foundation.pow(10, exponent)
    let first = Foundation.floor(low / step + 1e-9)
    let last = Foundation.ceil(high / step - 1e-9)
    let decimals = max(0, -Int(exponent))
    let ticks = stride(from: first, through: last, by: 1).map { k -> (Double, String) in
      let value = k * step
      return (value, label(value, decimals: decimals))
    }
    return Axis(low: first * step, high: last * step, ticks: ticks, logarithmic: false)
  }

  /// A logarithmic axis over whole decades, in log10 units.
  static func logAxis(_ low: Double, _ high: Double) -> Axis {
    let first = Foundation.floor(Foundation.log10(low))
    let last = Foundation.ceil(Foundation.log10(high))
    let ticks = stride(from: first, through: last, by: 1).map { e -> (Double, String) in
      (e, label(Foundation.pow(10, e), decimals: max(0, -Int(e))))
    }
    return Axis(low: first, high: last, ticks: ticks, logarithmic: true)
  }

  /// A tick's text: fixed-point to the tick step's decimals, or `1e-7` style
  /// when that would be long.
  static func label(_ value: Double, decimals: Int) -> String {
    if value == 0 { return "0" }
    if decimals > 6 || abs(value) >= 1e7 {
      let exponent = Int(Foundation.floor(Foundation.log10(abs(value)) + 1e-9))
      let mantissa = value / Foundation.pow(10, Double(exponent))
      let m = String(format: "%.0f", mantissa)
      return "\(m)e\(exponent)"
    }
    return String(format: "%.\(decimals)f", value)
  }
}
