import Foundation

/// How a run of `backpropc` ends (SPEC §2).
public enum ExitStatus: Int32, Sendable {
  case success = 0
  /// the program (or its data) has errors
  case programErrors = 1
  /// unknown option, missing value, unreadable file
  case usage = 2
}

/// Bad usage: exit status 2, and the message with a hint.
public struct UsageError: Error, Sendable {
  var message: DiagnosticMessage

  public init(_ message: DiagnosticMessage) {
    self.message = message
  }

  /// As the command line prints it.
  public var rendered: String {
    "backpropc: error: \(message.text)\nRun 'backpropc --help' for usage.\n"
  }
}

/// The subcommands. The first argument picks one; anything else compiles.
public enum Command: String, CaseIterable, Sendable {
  case compile
  case eval
  case check
  case explain
  case graph
  case train

  /// The options each command takes: one table drives parsing and `--help`.
  var options: [OptionSpec] {
    let set = OptionSpec(
      name: "--set", value: "NAME=VALUE", repeatable: true,
      help: "give leaf NAME a value (repeatable)")
    let common = [
      OptionSpec(
        name: "--seed", value: "N",
        help: "seed of the initialisers xavier, he, uniform, normal (default 0)"),
      OptionSpec(name: "--help", help: "show this help"),
      OptionSpec(name: "--version", help: "show the compiler's version"),
    ]
    switch self {
    case .compile:
      return [
        OptionSpec(
          name: "-o", value: "FILE",
          help: "write FILE.swift, or FILE.c and FILE.h; the extension picks the language"),
        OptionSpec(
          name: "--emit", value: "swift|c|ir",
          help: "print to standard output instead (ir: the optimised gradient program)"),
        OptionSpec(
          name: "--name", value: "NAME",
          help: "prefix of the generated symbols (default: the file's base name)"),
        OptionSpec(
          name: "--max-function-size", value: "N",
          help:
            "split functions longer than N statements into parts (default \(EmitRequest.defaultMaxFunctionSize))"
        ),
        OptionSpec(
          name: "--with", value: "LIST", repeatable: true,
          help: "also generate these entry points, a comma list of jvp, vjp, hvp (SPEC §8.2)"),
      ] + common
    case .eval:
      return [
        set,
        OptionSpec(name: "--json", help: "print values and gradients as one JSON object"),
        OptionSpec(
          name: "--hessian",
          help: "also every second derivative of one scalar output, by Hessian-vector products"),
        OptionSpec(
          name: "--output", value: "O",
          help: "the scalar whose Hessian --hessian computes (default: the first scalar output)"),
      ] + common
    case .check:
      return [
        set,
        OptionSpec(
          name: "--tolerance", value: "T",
          help: "largest accepted error (default \(GradientCheck.defaultTolerance))"),
        OptionSpec(
          name: "--hessian",
          help:
            "check the second derivatives of one scalar output against central differences of its gradient"
        ),
        OptionSpec(
          name: "--output", value: "O",
          help: "the scalar whose Hessian --hessian checks (default: the first scalar output)"),
      ] + common
    case .explain:
      return [
        set,
        OptionSpec(
          name: "--output", value: "O", help: "the name to explain (default: the first output)"),
        OptionSpec(
          name: "--format", value: "text|markdown",
          help: "plain text, or Markdown with LaTeX formulas"),
      ] + common
    case .graph:
      return [
        set,
        OptionSpec(
          name: "--output", value: "O", help: "whose adjoints to show (default: the first output)"),
        OptionSpec(
          name: "-o", value: "FILE",
          help: "write FILE.dot, or FILE.svg / FILE.png through Graphviz's dot"),
      ] + common
    case .train:
      return [
        OptionSpec(name: "--lr", value: "RATE", help: "learning rate (required)"),
        OptionSpec(
          name: "--steps", value: "N", help: "gradient steps (this or --epochs is required)"),
        OptionSpec(
          name: "--epochs", value: "E",
          help: "passes over the rows, in batches of --batch, the last one short"),
        OptionSpec(
          name: "--set", value: "NAME=VALUE", repeatable: true,
          help: "give leaf NAME a value; for a param, its starting value"),
        OptionSpec(
          name: "--data", value: "FILE.csv",
          help: "samples: a header of input names, one row per sample"),
        OptionSpec(
          name: "--batch", value: "B",
          help: "rows per step, taken in order, wrapping around (default: all)"),
        OptionSpec(
          name: "--loss", value: "O",
          help: "the output to minimise (required when there are several)"),
        OptionSpec(
          name: "--shuffle",
          help: "permute the rows (seeded by --seed) at the start and at each epoch or wrap"),
        OptionSpec(
          name: "--optimizer", value: "sgd|momentum|adam", help: "the update rule (default: sgd)"),
        OptionSpec(
          name: "--momentum", value: "BETA", help: "momentum's decay, in [0, 1) (default 0.9)"),
        OptionSpec(
          name: "--beta1", value: "B1", help: "Adam's first-moment decay, in [0, 1) (default 0.9)"),
        OptionSpec(
          name: "--beta2", value: "B2",
          help: "Adam's second-moment decay, in [0, 1) (default 0.999)"),
        OptionSpec(name: "--eps", value: "EPS", help: "Adam's epsilon, > 0 (default 1e-8)"),
        OptionSpec(
          name: "--test", value: "FILE.csv",
          help: "held-out rows: their mean loss is reported beside the loss"),
        OptionSpec(
          name: "--plot", value: "FILE.svg", help: "write an SVG chart of the reported losses"),
        OptionSpec(
          name: "--every", value: "K", help: "report progress every K steps (default: steps/10)"),
        OptionSpec(
          name: "--threads", value: "T",
          help:
            "threads that evaluate a step's rows (default: every core); the same result for any T"),
        OptionSpec(name: "--json", help: "print the result as one JSON object"),
        OptionSpec(
          name: "-o", value: "FILE.bp",
          help: "write the program back with the trained param defaults"),
      ] + common
    }
  }

  var usage: String {
    switch self {
    case .compile:
      "backpropc FILE (-o OUT.swift | -o OUT.c | --emit swift|c|ir) [--name NAME] [--max-function-size N] [--with jvp,vjp,hvp]"
    case .eval: "backpropc eval [FILE] [--set NAME=VALUE]... [--json] [--hessian [--output O]]"
    case .check:
      "backpropc check [FILE] [--set NAME=VALUE]... [--tolerance T] [--hessian [--output O]]"
    case .explain:
      "backpropc explain [FILE] [--set NAME=VALUE]... [--output O] [--format text|markdown]"
    case .graph:
      "backpropc graph [FILE] [--set NAME=VALUE]... [--output O] [-o graph.dot|graph.svg|graph.png]"
    case .train:
      "backpropc train [FILE] --lr RATE (--steps N | --epochs E) [--set NAME=VALUE]... [--data rows.csv] [--batch B] [--shuffle] [--optimizer sgd|momentum|adam] [--test held.csv] [--loss O] [--every K] [--threads T] [--json] [-o trained.bp] [--plot loss.svg]"
    }
  }

  var summary: String {
    switch self {
    case .compile: "Compile a .bp program to Swift or C that computes its outputs and gradient."
    case .eval: "Interpret a .bp program: its outputs and every partial derivative."
    case .check:
      "Compare every partial derivative with central finite differences; exit 1 if any differs by more than the tolerance."
    case .explain:
      "Show the forward pass and the chain rule of the backward pass, name by name, with numbers."
    case .graph:
      "Draw the computation graph (Graphviz DOT) with each value and its adjoint."
    case .train:
      "Fit the 'param' leaves by gradient descent on the loss, optionally over rows of a CSV file."
    }
  }
}

struct OptionSpec: Sendable {
  var name: String
  /// The value's placeholder, or nil for a flag.
  var value: String? = nil
  var repeatable = false
  var help: String
}

/// The parsed command line.
public struct Arguments: Sendable {
  public var command: Command
  /// The input path; nil or "-" is standard input.
  public var path: String?
  var values: [String: [String]] = [:]
  var flags: Set<String> = []

  init(command: Command, path: String? = nil) {
    self.command = command
    self.path = path
  }

  /// The last value given for an option.
  func value(_ name: String) -> String? { values[name]?.last }

  /// `--seed N`: 0 … 2⁶⁴ − 1, 0 by default.
  public func seed() throws(UsageError) -> UInt64 {
    guard let text = value("--seed") else { return 0 }
    guard let seed = UInt64(text) else { throw UsageError(.seedInvalid(text)) }
    return seed
  }

  /// A count option (`--steps 100`): a whole number from 1, nil when absent.
  func wholeNumber(_ option: String) throws(UsageError) -> Int? {
    guard let text = value(option) else { return nil }
    guard let n = Int(text), n >= 1 else {
      throw UsageError(.notAWholeNumber(option: option, value: text))
    }
    return n
  }

  /// Whether a flag (an option without a value) was given.
  public func has(_ flag: String) -> Bool { flags.contains(flag) }

  public static func parse(_ raw: [String]) throws(UsageError) -> Arguments {
    var rest = raw[...]
    var command = Command.compile
    if let first = rest.first, let named = Command(rawValue: first), named != .compile {
      command = named
      rest = rest.dropFirst()
    }
    var arguments = Arguments(command: command)
    let specs = command.options
    while let argument = rest.popFirst() {
      guard argument.hasPrefix("-"), argument != "-" else {
        if let path = arguments.path {
          throw UsageError(.moreThanOneInputFile(path, argument))
        }
        arguments.path = argument
        continue
      }
      if argument == "--" {
        if let path = rest.popFirst() { arguments.path = path }
        continue
      }
      // `--name=value` and `--name value` are the same.
      var name = argument
      var inlineValue: String?
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        inlineValue = String(argument[argument.index(after: equals)...])
      }
      if name == "-h" { name = "--help" }
      guard let spec = specs.first(where: { $0.name == name }) else {
        let suggestion = Suggestion.closest(to: name, among: specs.map(\.name))
        throw UsageError(.unknownOption(name, command: command.rawValue, suggestion: suggestion))
      }
      if spec.value == nil {
        if inlineValue != nil { throw UsageError(.optionTakesNoValue(name)) }
        arguments.flags.insert(name)
        continue
      }
      guard let value = inlineValue ?? rest.popFirst() else {
        throw UsageError(.optionNeedsValue(name, placeholder: spec.value ?? ""))
      }
      if !spec.repeatable && arguments.values[name] != nil {
        throw UsageError(.optionRepeated(name))
      }
      arguments.values[name, default: []].append(value)
    }
    return arguments
  }
}

extension Command {
  /// `--help`'s text.
  public var help: String {
    var out = "OVERVIEW: \(summary)\n\nUSAGE: \(usage)\n"
    if self == .compile {
      for other in Command.allCases where other != .compile { out += "       \(other.usage)\n" }
    }
    out += "\nFILE is a .bp program; '-' or no FILE reads standard input.\n\nOPTIONS:\n"
    for option in options {
      let left = option.name + (option.value.map { " \($0)" } ?? "")
      out +=
        "  " + left.padding(toLength: max(left.count, 20), withPad: " ", startingAt: 0) + "  "
        + option.help + "\n"
    }
    if self == .compile {
      out += "\nSUBCOMMANDS:\n"
      for other in Command.allCases where other != .compile {
        out +=
          "  " + other.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)
          + "  \(other.summary)\n"
      }
      out += "\nFUNCTIONS:\n"
      for name in Callee.callableNames {
        let summary =
          Builtin(rawValue: name)?.spec.summary
          ?? (name == "where" ? "where(c, a, b): a where the comparison c holds, else b" : "a ^ b")
        out += "  " + name.padding(toLength: 20, withPad: " ", startingAt: 0) + "  \(summary)\n"
      }
    }
    out += "\nEXIT STATUS: 0 success, 1 errors in the program, 2 bad usage or unreadable file.\n"
    return out
  }
}
