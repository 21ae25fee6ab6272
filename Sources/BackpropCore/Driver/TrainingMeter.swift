/// `train`'s status line on a terminal: the step, the rows per second and
/// the time so far, redrawn in place on standard error while a long run
/// goes on, as training tools show theirs.
///
/// The driver asks it what to write: ``tick(step:rows:now:)`` after each
/// step, ``clear()`` before a line of its own (a progress line, the summary),
/// so that the status line never mixes with them. Nothing is drawn in the
/// first second, so short runs print exactly what they print to a file.
public struct TrainingMeter: Sendable {
  let steps: Int
  let start: Double
  private var rows = 0
  /// Whether the line is on the screen.
  private var shown = false
  private var lastDraw = -Double.infinity

  /// Seconds of training before the first status line.
  static let delay = 1.0
  /// Seconds between redraws.
  static let interval = 0.25
  /// Moves to the start of the line and erases it.
  static let erase = "\r\u{1B}[K"

  /// - Parameters: `steps`, the run's length; `now`, the time in seconds.
  public init(steps: Int, now: Double) {
    self.steps = steps
    start = now
  }

  /// After step `step`, which took `rows` rows, at time `now`: the text to
  /// write, or nil while the line need not change.
  public mutating func tick(step: Int, rows: Int, now: Double) -> String? {
    self.rows += rows
    let elapsed = now - start
    guard elapsed >= Self.delay, now - lastDraw >= Self.interval || step == steps else {
      return nil
    }
    lastDraw = now
    shown = true
    return Self.erase + Self.line(step: step, of: steps, rows: self.rows, elapsed: elapsed)
  }

  /// What to write before a line of the driver's own: the erasure of the
  /// status line if it is on the screen (it comes back at the next tick).
  public mutating func clear() -> String {
    guard shown else { return "" }
    shown = false
    lastDraw = -Double.infinity
    return Self.erase
  }

  /// `step 1200/10000  48,210 rows/s  3.2 s`, the step right-aligned as in
  /// the progress lines.
  static func line(step: Int, of steps: Int, rows: Int, elapsed: Double) -> String {
    let width = String(steps).count
    let padded = String(repeating: " ", count: width - String(step).count) + String(step)
    let rate = elapsed > 0 ? Int((Double(rows) / elapsed).rounded()) : 0
    return "step \(padded)/\(steps)  \(grouped(rate)) rows/s  \(seconds(elapsed))"
  }

  /// An integer with thousands separated by commas: `48,210`.
  static func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, digit) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(digit)
    }
    return out
  }

  /// `3.2 s` under a minute, `4 min 05 s` past it.
  static func seconds(_ t: Double) -> String {
    let tenths = Int((t * 10).rounded())
    if tenths < 600 { return "\(tenths / 10).\(tenths % 10) s" }
    let whole = Int(t.rounded(.down))
    let s = whole % 60
    return "\(whole / 60) min \(s < 10 ? "0" : "")\(s) s"
  }
}
