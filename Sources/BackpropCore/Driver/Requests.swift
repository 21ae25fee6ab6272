import Foundation

// What each command decides from its arguments, as values a test can reach
// without starting a process. The command line (`Sources/backpropc`) reads
// files, calls these, prints and exits; it decides nothing itself.

// MARK: - Compiling

/// `backpropc FILE -o OUT` or `--emit LANGUAGE`: what to write, and where.
public struct CompileRequest: Sendable, Equatable {
  enum Target: Sendable, Equatable {
    /// one Swift file, or standard output
    case swift(path: String?)
    /// a C source and its header, or one self-contained file on standard output
    case c(source: String?, header: String?)
    /// the optimised gradient program, on standard output
    case ir
  }

  var target: Target
  /// The symbol prefix: `--name`, or the input's base name.
  var prefix: String
  /// `--seed`: the initialisers' seed, baked into `fill_defaults`.
  var seed: UInt64
  /// `--max-function-size`: the longest function printed whole.
  var maxFunctionSize: Int
  /// `--with`: the entry points of SPEC §8.2 to generate besides §3's.
  var with: [EntryPoint.Function] = []

  /// - Parameter inputIsTerminal: whether standard input is a terminal, where
  ///   reading a program without a file name would wait forever.
  public init(_ arguments: Arguments, inputIsTerminal: Bool) throws(UsageError) {
    let output = arguments.value("-o")
    let emit = arguments.value("--emit")
    switch (output, emit) {
    case (_?, _?):
      throw UsageError(.outputAndEmit)
    case (let path?, nil):
      switch (path as NSString).pathExtension {
      case "swift": target = .swift(path: path)
      case "c":
        let header = (path as NSString).deletingPathExtension + ".h"
        target = .c(source: path, header: header)
      default: throw UsageError(.unknownLanguage(path: path))
      }
    case (nil, let language?):
      switch language {
      case "swift": target = .swift(path: nil)
      case "c": target = .c(source: nil, header: nil)
      case "ir": target = .ir
      default: throw UsageError(.unknownEmitLanguage(language))
      }
    case (nil, nil):
      throw UsageError(.nothingToDo)
    }
    if arguments.path == nil && inputIsTerminal { throw UsageError(.noInputFile) }
    if let given = arguments.value("--name"), !Self.usable(given) {
      throw UsageError(.nameNotUsable)
    }
    // A file name with no usable character (ü.bp) gives the default prefix.
    let derived = Naming.defaultPrefix(forPath: arguments.path)
    prefix = arguments.value("--name") ?? (Self.usable(derived) ? derived : "model")
    seed = try arguments.seed()
    maxFunctionSize =
      try arguments.wholeNumber("--max-function-size") ?? EmitRequest.defaultMaxFunctionSize
    for list in arguments.values["--with"] ?? [] {
      for name in list.split(separator: ",", omittingEmptySubsequences: false) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard let function = EntryPoint.Function(rawValue: trimmed),
          EntryPoint.Function.requestable.contains(function)
        else {
          throw UsageError(
            .withUnknown(
              trimmed,
              names: EntryPoint.Function.requestable.map(\.rawValue).joined(separator: ", ")))
        }
        if !with.contains(function) { with.append(function) }
      }
    }
  }

  private static func usable(_ name: String) -> Bool {
    name.unicodeScalars.contains {
      $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
    }
  }

  /// What compiling writes: files (all or none), or standard output. The
  /// text comes in pieces as it is printed, so the code of a program of a
  /// million statements (400 MB of C) is never held whole.
  public enum Output {
    /// `write` hands each piece to its file, an index into `paths`.
    case files(paths: [String], write: (@escaping (Int, String) -> Void) -> Void)
    case standardOutput(write: (@escaping (String) -> Void) -> Void)
  }

  /// The generated code for a program without errors. The compilation is
  /// consumed: its tree and unoptimised programs are freed before printing.
  public func output(_ compilation: consuming Compilation) -> Output? {
    guard let program = compilation.program else { return nil }
    let file = compilation.file
    let forward = with.isEmpty ? nil : compilation.forward
    _ = consume compilation
    var optimized = EmitRequest(
      optimizing: consume program, file: file, prefix: prefix, seed: seed, with: with,
      forward: forward)
    optimized.maxFunctionSize = maxFunctionSize
    let request = optimized
    switch target {
    case .swift(let path?):
      return .files(paths: [path]) { piece in SwiftEmitter.emit(request) { piece(0, $0) } }
    case .swift(nil):
      return .standardOutput { piece in SwiftEmitter.emit(request, to: piece) }
    case .c(let source?, let header?):
      let headerName = (header as NSString).lastPathComponent
      return .files(paths: [header, source]) { piece in
        piece(0, CEmitter.emit(request, headerName: headerName) { piece(1, $0) })
      }
    case .c:
      return .standardOutput { piece in _ = CEmitter.emit(request, headerName: nil, source: piece) }
    case .ir:
      return .standardOutput { piece in piece(IRPrinter.print(request.gradient)) }
    }
  }
}

// MARK: - Leaf values

/// The `--set` settings of a command, in order; later ones win.
public struct Settings: Sendable {
  public var settings: [LeafSetting]
  /// The first `--set` whose value does not read, reported by
  /// ``check(against:)``, which knows the shape the value needs.
  var invalid: (setting: LeafSetting, text: String, problem: SettingProblem)?

  public init(_ arguments: Arguments) throws(UsageError) {
    var settings: [LeafSetting] = []
    for text in arguments.values["--set"] ?? [] {
      guard let equals = text.firstIndex(of: "="), equals != text.startIndex,
        let target = ElementName(parsing: String(text[..<equals]))
      else {
        throw UsageError(.settingSyntax(text))
      }
      switch LeafSetting.parse(text) {
      case .success(let setting):
        settings.append(setting)
      case .failure(let problem):
        if invalid == nil {
          let setting = LeafSetting(name: target.name, element: target.element, values: [])
          invalid = (setting, String(text[text.index(after: equals)...]), problem)
        }
      }
    }
    self.settings = settings
  }

  /// Every `--set` must name a leaf (a computed name would be overwritten),
  /// with a value that reads, of its shape or an element inside it.
  public func check(against compilation: Compilation) throws(UsageError) {
    let leaves = compilation.leafNames
    for setting in settings + (invalid.map { [$0.setting] } ?? []) {
      let name = setting.name
      guard let leaf = compilation.program?.leaves.first(where: { $0.name == name }) else {
        let suggestion = Suggestion.closest(to: name, among: leaves)
        let computed = compilation.program?.symbols.contains { $0.name == name } == true
        throw UsageError(
          computed
            ? .settingOfComputedName(name, suggestion: suggestion)
            : .settingOfUnknownName(name, suggestion: suggestion))
      }
      if let element = setting.element {
        guard !leaf.shape.isEmpty else { throw UsageError(.settingOnScalar(name)) }
        guard element.count == leaf.shape.count, zip(element, leaf.shape).allSatisfy({ $0 < $1 })
        else {
          throw UsageError(.settingElementOutOfRange(name, element: element, shape: leaf.shape))
        }
        if setting.shape != nil {
          throw UsageError(.settingShapeMismatch(name, given: setting.shape ?? [], shape: []))
        }
      } else if let shape = setting.shape, shape != leaf.shape {
        throw UsageError(.settingShapeMismatch(name, given: shape, shape: leaf.shape))
      }
    }
    if let (setting, text, problem) = invalid {
      let shape = compilation.program?.leaves.first { $0.name == setting.name }?.shape ?? []
      let target = setting.element.map { Layout.elementName(setting.name, $0) } ?? setting.name
      throw UsageError(
        .settingValueInvalid(
          target, value: text, problem: problem, shape: setting.element == nil ? shape : []))
    }
  }
}

extension Compilation {
  /// The symbol an option such as `--output` or `--loss` names, or nil when
  /// it is not given.
  func symbol(namedBy option: String, in arguments: Arguments) throws(UsageError) -> Int? {
    guard let name = arguments.value(option) else { return nil }
    guard let symbol = symbol(named: name) else {
      let suggestion = Suggestion.closest(to: name, among: program?.symbols.map(\.name) ?? [])
      throw UsageError(.optionNamesUnknownName(option: option, name: name, suggestion: suggestion))
    }
    return symbol
  }

  /// The scalar an option names (`--output`, `--loss`): a scalar name, or an
  /// element of an array (`o[1]`); an array is bad usage (SPEC §6.6).
  func scalar(namedBy option: String, in arguments: Arguments) throws(UsageError) -> (
    symbol: Int, element: [Int]
  )? {
    guard let text = arguments.value(option) else { return nil }
    let parsed = ElementName(parsing: text)
    let name = parsed?.name ?? text
    guard let symbol = symbol(named: name), let shape = program?.symbols[symbol].shape else {
      let suggestion = Suggestion.closest(to: name, among: program?.symbols.map(\.name) ?? [])
      throw UsageError(.optionNamesUnknownName(option: option, name: name, suggestion: suggestion))
    }
    let element = parsed?.element ?? []
    if element.isEmpty && !shape.isEmpty {
      throw UsageError(
        .optionNamesArray(
          option: option, name: name, example: Layout.elementName(name, shape.map { _ in 0 })))
    }
    guard element.count == shape.count, zip(element, shape).allSatisfy({ $0 < $1 }) else {
      throw UsageError(.settingElementOutOfRange(name, element: element, shape: shape))
    }
    return (symbol, element)
  }

  /// `--hessian`'s scalar (SPEC §8.1): `--output`'s, or the first scalar
  /// output; nil without `--hessian`, where `--output` is bad usage.
  public func hessianOutput(_ arguments: Arguments) throws(UsageError) -> (
    symbol: Int, element: [Int]
  )? {
    guard arguments.has("--hessian") else {
      if arguments.value("--output") != nil {
        throw UsageError(.outputWithoutHessian(command: arguments.command.rawValue))
      }
      return nil
    }
    return try explainedOutput(arguments)
  }

  /// `--output`'s scalar, or the first scalar output (explain, graph).
  public func explainedOutput(_ arguments: Arguments) throws(UsageError) -> (
    symbol: Int, element: [Int]
  )? {
    if let named = try scalar(namedBy: "--output", in: arguments) { return named }
    guard let program else { return nil }
    if let scalar = program.outputs.first(where: { program.symbols[$0].shape.isEmpty }) {
      return (scalar, [])
    }
    let first = program.symbols[program.outputs[0]]
    throw UsageError(
      .noScalarOutput(
        option: "--output", example: Layout.elementName(first.name, first.shape.map { _ in 0 })))
  }
}

// MARK: - check, explain, graph

extension GradientCheck {
  /// `--tolerance`, or the default.
  public static func tolerance(_ arguments: Arguments) throws(UsageError) -> Double {
    guard let text = arguments.value("--tolerance") else { return defaultTolerance }
    guard let value = Double(text), value.isFinite, value >= 0 else {
      throw UsageError(.toleranceInvalid(text))
    }
    return value
  }
}

extension Explanation.Format {
  /// `--format`, or text.
  public init(_ arguments: Arguments) throws(UsageError) {
    guard let text = arguments.value("--format") else {
      self = .text
      return
    }
    guard let format = Self(rawValue: text) else { throw UsageError(.unknownFormat(text)) }
    self = format
  }
}

/// `graph`: where the DOT goes.
public enum GraphTarget: Sendable, Equatable {
  case standardOutput
  case dot(path: String)
  /// an image Graphviz's `dot` draws: `format` is `svg` or `png`
  case picture(path: String, format: String)

  public init(_ arguments: Arguments, dotInstalled: Bool) throws(UsageError) {
    guard let path = arguments.value("-o") else {
      self = .standardOutput
      return
    }
    let format = (path as NSString).pathExtension.lowercased()
    switch format {
    case "dot": self = .dot(path: path)
    case "svg", "png":
      guard dotInstalled else { throw UsageError(.dotNotInstalled(format: format)) }
      self = .picture(path: path, format: format)
    default: throw UsageError(.unknownGraphFile(path))
    }
  }
}

// MARK: - train

/// `train`'s options, checked.
public struct TrainRequest: Sendable {
  public var options: Training.Options
  public var dataPath: String?
  /// `--test`: held-out rows, whose mean loss is reported beside the training loss.
  public var testPath: String?
  /// `--plot`: where to write the loss chart (SVG).
  public var plotPath: String?
  /// `-o`: where to write the program with the trained defaults.
  public var outputPath: String?
  public var json: Bool

  public init(_ arguments: Arguments) throws(UsageError) {
    guard let rateText = arguments.value("--lr") else { throw UsageError(.missingLearningRate) }
    guard let rate = Double(rateText), rate.isFinite else {
      throw UsageError(.learningRateNotFinite(rateText))
    }
    let steps = try arguments.wholeNumber("--steps")
    let epochs = try arguments.wholeNumber("--epochs")
    let length: Training.Options.Length
    switch (steps, epochs) {
    case (let n?, nil): length = .steps(n)
    case (nil, let e?): length = .epochs(e)
    case (nil, nil): throw UsageError(.lengthNotGiven(both: false))
    case (_?, _?): throw UsageError(.lengthNotGiven(both: true))
    }
    let every = try arguments.wholeNumber("--every")
    let batch = try arguments.wholeNumber("--batch")
    let rule = try Self.updateRule(arguments)
    dataPath = arguments.value("--data")
    let shuffle = arguments.has("--shuffle")
    if shuffle, dataPath == nil || batch == nil { throw UsageError(.shuffleNeedsBatches) }
    options = Training.Options(
      learningRate: rate, length: length, batch: batch, every: every, rule: rule, shuffle: shuffle,
      seed: try arguments.seed(),
      threads: try arguments.wholeNumber("--threads") ?? Training.Options.allCores)
    testPath = arguments.value("--test")
    outputPath = arguments.value("-o")
    plotPath = arguments.value("--plot")
    if let plot = plotPath {
      guard plot.hasSuffix(".svg"), plot.count > 4 else { throw UsageError(.plotNotSVG(plot)) }
      if plot == outputPath { throw UsageError(.plotIsOutput(plot)) }
    }
    json = arguments.has("--json")
  }

  /// `--optimizer` and its hyperparameters; a hyperparameter of another
  /// optimizer is bad usage.
  static func updateRule(_ arguments: Arguments) throws(UsageError) -> Training.UpdateRule {
    let name = arguments.value("--optimizer") ?? "sgd"
    let owners = ["--momentum": "momentum", "--beta1": "adam", "--beta2": "adam", "--eps": "adam"]
    guard ["sgd", "momentum", "adam"].contains(name) else {
      throw UsageError(
        .unknownOptimizer(
          name, suggestion: Suggestion.closest(to: name, among: ["sgd", "momentum", "adam"])))
    }
    for (option, owner) in owners.sorted(by: { $0.key < $1.key })
    where owner != name && arguments.value(option) != nil {
      throw UsageError(
        .hyperparameterOfOtherOptimizer(option: option, optimizer: owner, chosen: name))
    }
    /// A number in [0, 1) (a decay), or > 0 (ε).
    func hyperparameter(_ option: String, default value: Double, decay: Bool) throws(UsageError)
      -> Double
    {
      guard let text = arguments.value(option) else { return value }
      guard let x = Double(text), x.isFinite, decay ? (x >= 0 && x < 1) : x > 0 else {
        throw UsageError(
          .hyperparameterOutOfRange(
            option: option, value: text, range: decay ? "in [0, 1)" : "> 0",
            example: NumberFormat.shortest(value)))
      }
      return x
    }
    switch name {
    case "momentum":
      return .momentum(
        beta: try hyperparameter(
          "--momentum", default: Training.UpdateRule.defaultMomentum, decay: true))
    case "adam":
      guard case .adam(let b1, let b2, let eps) = Training.UpdateRule.defaultAdam else {
        return .defaultAdam
      }
      return .adam(
        beta1: try hyperparameter("--beta1", default: b1, decay: true),
        beta2: try hyperparameter("--beta2", default: b2, decay: true),
        epsilon: try hyperparameter("--eps", default: eps, decay: false))
    default:
      return .sgd
    }
  }

  /// The loss: `--loss`, or the program's only output.
  func loss(_ compilation: Compilation, _ arguments: Arguments) throws(UsageError) -> (
    symbol: Int, element: [Int]
  )? {
    if let named = try compilation.scalar(namedBy: "--loss", in: arguments) { return named }
    guard let program = compilation.program, let first = program.outputs.first else { return nil }
    // Every output an array: the fix is an element, whatever their number.
    if program.outputs.allSatisfy({ !program.symbols[$0].shape.isEmpty }) {
      let array = program.symbols[first]
      throw UsageError(
        .noScalarOutput(
          option: "--loss", example: Layout.elementName(array.name, array.shape.map { _ in 0 })))
    }
    if program.outputs.count > 1 { throw UsageError(.lossNotChosen(outputs: program.outputNames)) }
    return (first, [])
  }

  /// The descent on the loss, or nil (with the error) when the program has
  /// no `param` to train.
  public func training(
    _ compilation: Compilation, _ arguments: Arguments, into diagnostics: inout DiagnosticList
  ) throws(UsageError) -> Training? {
    let loss = try self.loss(compilation, arguments)
    guard
      let program = loss.flatMap({
        compilation.program(differentiating: $0.symbol, element: $0.element)
      }),
      let training = Training(program)
    else {
      diagnostics.error(.noParameters, at: SourceRange(0, 0))
      return nil
    }
    return training
  }

  /// A batch may not be larger than the data (one sample without `--data`).
  public func checkBatch(against data: TrainingData?) throws(UsageError) {
    guard let batch = options.batch else { return }
    guard let data else {
      if batch > 1 { throw UsageError(.batchNeedsData(batch)) }
      return
    }
    if batch > data.rows.count { throw UsageError(.batchTooLarge(batch, rows: data.rows.count)) }
  }

  /// The starting leaf values: defaults and `--set`; an input the data
  /// supplies needs neither (each row gives its value).
  public func leafValues(
    _ compilation: Compilation, settings: Settings, data: TrainingData?, seed: UInt64 = 0,
    into diagnostics: inout DiagnosticList
  ) -> [Double]? {
    guard let program = compilation.program else { return nil }
    // The data's columns first, so a `--set` of one still shows its value
    // for the leaf (the rows then overwrite it).
    let columns = Set((data?.columns ?? []).map(\.leaf)).sorted().map {
      LeafSetting(name: program.symbols[$0].name, values: [0])
    }
    return compilation.leafValues(columns + settings.settings, seed: seed, into: &diagnostics)
  }

  /// The test rows' columns must be exactly the data's (in any order);
  /// without `--data`, any inputs. The error is at the test file's header.
  public func checkTest(
    _ test: TrainingData, against data: TrainingData?, program: Program,
    into diagnostics: inout DiagnosticList
  ) {
    guard let data else { return }
    let leaves = Layout(program).leaves
    func names(_ d: TrainingData) -> Set<String> {
      Set(d.columns.map { leaves[$0.leaf].elementName($0.element) })
    }
    let (expected, found) = (names(data), names(test))
    guard expected != found else { return }
    diagnostics.error(
      .testColumnsDiffer(
        missing: expected.subtracting(found).sorted(), extra: found.subtracting(expected).sorted()),
      at: SourceRange(0, 0))
  }

  /// A progress line: `step  30/300  loss 0.25`, the step right-aligned,
  /// then `  test loss 0.3` with `--test`.
  public func progressLine(step: Int, of steps: Int, loss: Double, testLoss: Double? = nil)
    -> String
  {
    let width = String(steps).count
    let padded = String(repeating: " ", count: width - String(step).count) + String(step)
    let test = testLoss.map { "  test loss \(NumberFormat.shortest($0))" } ?? ""
    return "step \(padded)/\(steps)  loss \(NumberFormat.shortest(loss))\(test)\n"
  }

  /// The summary after training: steps, final loss, each parameter.
  /// Parameters of at most 16 elements as (nested) lists, larger ones as
  /// shape and min/mean/max (SPEC §6.6).
  public static func summary(_ result: Training.Result, symbols: [Symbol]) -> String {
    let epochs = result.epochs.map { " (\($0) epoch\($0 == 1 ? "" : "s"))" } ?? ""
    let test = result.finalTestLoss.map { "; final test loss \(NumberFormat.shortest($0))" } ?? ""
    let rule = result.rule == .sgd ? "" : " with \(result.rule.name)"
    var out =
      "trained \(result.steps) step\(result.steps == 1 ? "" : "s")\(epochs)\(rule); "
      + "final loss \(NumberFormat.shortest(result.finalLoss))\(test)\n"
    for (symbol, values) in result.parameters {
      let shape = symbols[symbol].shape
      if values.count <= 16 {
        out +=
          "  \(symbols[symbol].name) = \(Evaluation.nested(values, shape, NumberFormat.shortest))\n"
      } else {
        let mean = values.reduce(0, +) / Double(values.count)
        out +=
          "  \(symbols[symbol].name)\(DiagnosticMessage.shape(shape)): min \(NumberFormat.shortest(values.min() ?? .nan)), mean \(NumberFormat.shortest(mean)), max \(NumberFormat.shortest(values.max() ?? .nan))\n"
      }
    }
    return out
  }
}
