/// Every message backpropc says, in one catalog: about a program, about a
/// data file, about the command line, and the notes that point at a second
/// place.
///
/// Style (clang's and swiftc's): lowercase, no final period, code in single
/// quotes, say what was found. Tests match on ``id`` and on ``text``.
public enum DiagnosticMessage: Hashable, Sendable {
  // MARK: - The catalog (alphabetical: a test keeps it so)
  /// An array of more than 2^24 elements.
  case arrayTooLarge(String, elements: String)
  /// An array name without subscripts in an expression.
  case bareArray(String, example: String)
  /// `train --batch B` without `--data`.
  case batchNeedsData(Int)
  /// `train --batch B` with fewer than B rows of data.
  case batchTooLarge(Int, rows: Int)
  /// `x[i*2]`: a coefficient written after its index.
  case coefficientAfterIndex(String)
  /// `x[0*i]`: a coefficient below 1.
  case coefficientZero(String)
  /// A comparison anywhere but as the first argument of `where`.
  case comparisonOutsideWhere(String)
  /// `h[0] = …`: the left side's subscripts are index names.
  case constantOnTheLeft
  /// `train --data`: a header cell that names no element of its input.
  case dataColumnElement(String, shape: [Int])
  /// `train --data`: a column named twice in the header.
  case dataDuplicateColumn(String)
  /// `train --data`: the file has no header, or a header and no rows.
  case dataEmpty(hasHeader: Bool)
  /// `train --data`: a cell that is not a number.
  case dataNotANumber(String)
  /// `train --data`: some but not all of an array input's elements.
  case dataPartialArray(String, present: Int, size: Int, missing: String)
  /// `train --data`: a row with the wrong number of cells.
  case dataRaggedRow(expected: Int, got: Int)
  /// `train --data`: a header name that is not an `input` of the program.
  case dataUnknownColumn(String, suggestion: String?)
  /// A list default of another shape than the declaration's.
  case defaultShapeMismatch(String, declared: [Int], given: [Int])
  /// Note: where a name is defined, for a use before it.
  case definedHere(String)
  /// Graphviz's `dot` failed; its own words follow.
  case dotFailed(String)
  /// `graph -o x.svg` when Graphviz's `dot` is not installed.
  case dotNotInstalled(format: String)
  /// `output` names a name twice.
  case duplicateOutput(String)
  /// `[]`.
  case emptyList
  /// `[` never closed.
  case expectedClosingBracket(openedAtLine: Int, found: String)
  /// `(` never closed.
  case expectedClosingParen(openedAtLine: Int, found: String)
  /// After `input x =`: a number, a list or an initialiser.
  case expectedDefault(found: String)
  /// An operand was expected: `A = 2 *` or `A = )`.
  case expectedExpression(found: String)
  /// `input x[…]`: an extent is a whole number.
  case expectedExtent(found: String)
  /// `uniform(a, b)`, `normal(m, s)`: two signed numbers.
  case expectedInitializerArguments(String, found: String)
  /// In a list: a number or a list.
  case expectedListItem(found: String)
  /// A name was expected after `input`, `param`, `output`.
  case expectedName(after: String, found: String)
  /// A token that cannot continue the statement: `A = x y`.
  case expectedStatementEnd(found: String)
  /// A subscript that is not an index name or a whole number: `x[i+1]`.
  case expectedSubscript(found: String)
  /// An index used for dimensions of different extents.
  case extentMismatch(index: String, here: Int, first: Int)
  /// An extent of 0.
  case extentZero
  /// The input path does not exist.
  case fileNotFound(String)
  /// The input path is a directory, or cannot be read.
  case fileUnreadable(String, isDirectory: Bool)
  /// An output file cannot be written.
  case fileUnwritable(String, reason: String?)
  /// Note: where an index is first bound.
  case firstBoundHere(String)
  /// Note: the first definition of a name defined twice.
  case firstDefinedHere(String)
  /// Note: an index's first use, with its extent.
  case firstUsedHere(String, extent: Int)
  /// A builtin function written with subscripts: `sqrt[0]`.
  case functionSubscripted(String)
  /// The gradient a command must compute holds more than 2^26 numbers.
  case gradientTooLarge(String, elements: String)
  /// `eval --hessian`, `check --hessian`: n² entries over SPEC §6.4's limit.
  case hessianTooLarge(String, entries: String)
  /// `--momentum` without `--optimizer momentum`, `--beta1` without adam.
  case hyperparameterOfOtherOptimizer(option: String, optimizer: String, chosen: String)
  /// A `--momentum`, `--beta1`, `--beta2` or `--eps` outside its range.
  case hyperparameterOutOfRange(option: String, value: String, range: String, example: String)
  /// An index bound twice in one scope.
  case indexBoundTwice(String)
  /// An index that no left side or enclosing reduction binds.
  case indexNotBound(String)
  /// An index with the name of a variable, a function or an anonymous output.
  case indexNotFresh(String, what: String)
  /// An index whose subscripts leave it no value (SPEC §7.2).
  case indexRangeEmpty(String, lower: Int, upper: Int)
  /// An index whose subscripts give it no upper bound (SPEC §7.2).
  case indexRangeUnknown(String)
  /// An index that subscripts nothing, so it has no extent.
  case indexSubscriptsNothing(String)
  /// `x[i - k]`, `x[-i]`: an index with a minus sign.
  case indexSubtracted(String)
  /// `x[i + i]`: an index twice in one subscript.
  case indexTwiceInSubscript(String)
  /// `uniform(a, b)` with a >= b, `normal(m, s)` with s < 0.
  case initializerArguments(String)
  /// An initialiser as an input's default.
  case initializerOnInput(String)
  /// `xavier(1)`, `he()`: these initialisers take no arguments.
  case initializerTakesNoArguments(String)
  /// An assignment to something that is not a name: `2 = x`.
  case invalidAssignmentTarget
  /// A byte that begins no token: `$`, a control character, invalid UTF-8.
  case invalidCharacter(String)
  /// A number literal that does not parse: `1e`, `1.2.3`.
  case invalidNumber(String)
  /// A statement whose indices run over more than 2^32 points.
  case iterationSpaceTooLarge(String)
  /// `eval`: a function's argument sits exactly on its kink; in a loop,
  /// where (``Occurrence``).
  case kinkHit(function: String, convention: String, at: Occurrence? = nil)
  /// `train --lr` that is not a finite number.
  case learningRateNotFinite(String)
  /// A left index whose range starts above 0: the array's first elements would be undefined.
  case leftIndexStartsAbove(String, lower: Int, by: String)
  /// `train` without `--steps` or `--epochs`, or with both.
  case lengthNotGiven(both: Bool)
  /// A list mixing numbers and lists at one depth.
  case listItemKind(expectedList: Bool)
  /// A list of another length than the first at its depth; `got` nil while still too long.
  case listLength(expected: Int, got: Int?)
  /// `input x = [1, 2]`: a list default needs a declared shape.
  case listNeedsShape(String, example: String)
  /// A list literal where only an expression may be.
  case listNotAllowedHere
  /// Lists nested past the rank limit.
  case listTooDeep(limit: Int)
  /// `train` on a program with several outputs and no `--loss`.
  case lossNotChosen(outputs: [String])
  /// `eval` needs a value for every leaf.
  case missingLeafValues([String], moreElements: Int = 0)
  /// `train` without `--lr`.
  case missingLearningRate
  /// Note: more diagnostics were found than are shown.
  case moreDiagnosticsNotShown(Int)
  /// Two input files on one command line.
  case moreThanOneInputFile(String, String)
  /// `--name` with no letter or digit.
  case nameNotUsable
  /// Parentheses, unary minus or `^` nested past the parser's limit.
  case nestingTooDeep(limit: Int)
  /// Compiling from a terminal with no file.
  case noInputFile
  /// The program defines nothing to differentiate.
  case noOutput
  /// `train` on a program without `param` leaves.
  case noParameters
  /// explain, graph (`--output`), train (`--loss`): every output is an
  /// array, and the option does not name an element.
  case noScalarOutput(option: String, example: String)
  /// `eval`: a value or derivative became NaN or infinite. `reported` is
  /// what `eval` reports as non-finite because of it (`'y'` or `∂z/∂x`, and
  /// its value), nil when that stays finite; `arose` the first non-finite
  /// value, at this expression; `subject` what it is part of (`'y'`, `the
  /// gradient of 'z'`); in a loop, where (``Occurrence``).
  case nonFiniteValue(
    reported: ReportedValue?, arose: String, subject: String, inDerivative: Bool,
    at: Occurrence? = nil)
  /// `--steps`, `--every`, `--batch` that is not a whole number ≥ 1.
  case notAWholeNumber(option: String, value: String)
  /// Subscripts on a scalar.
  case notAnArray(String)
  /// Compiling with neither `-o` nor `--emit`.
  case nothingToDo
  /// A number literal too large for a Double: `1e999`.
  case numberOutOfRange(String)
  /// `--output`, `--loss` (or the sole output) is an array: one scalar is needed.
  case optionNamesArray(option: String, name: String, example: String)
  /// `--output` or `--loss` names a name the program does not define.
  case optionNamesUnknownName(option: String, name: String, suggestion: String?)
  /// An option that takes a value, given none.
  case optionNeedsValue(String, placeholder: String)
  /// An option given twice that may be given once.
  case optionRepeated(String)
  /// A flag given a value: `--json=1`.
  case optionTakesNoValue(String)
  /// Both `-o` and `--emit`.
  case outputAndEmit
  /// `eval --output O` or `check --output O` without `--hessian`.
  case outputWithoutHessian(command: String)
  /// A parameter that an update made NaN or infinite.
  case parameterDiverged(step: Int, name: String, value: String)
  /// `--plot` naming the file `-o` writes.
  case plotIsOutput(String)
  /// `--plot` with a name that does not end in `.svg`.
  case plotNotSVG(String)
  /// The named variables hold more than 2^26 elements.
  case programTooLarge(elements: String)
  /// More than four extents.
  case rankTooLarge(limit: Int)
  /// A name defined twice.
  case redefinition(String)
  /// `sum(x)`: a reduction names its indices first.
  case reductionNeedsIndex(String)
  /// A name of the reserved form `_1`, `_2`, … defined by the user.
  case reservedName(String)
  /// `--seed` that is not a whole number in 0 … 2^64 − 1.
  case seedInvalid(String)
  /// `--set W[2,0]=1` outside W's shape.
  case settingElementOutOfRange(String, element: [Int], shape: [Int])
  /// `--set` of a name the program computes.
  case settingOfComputedName(String, suggestion: String?)
  /// `--set` of a name the program does not have.
  case settingOfUnknownName(String, suggestion: String?)
  /// `--set x[0]=1` on a scalar.
  case settingOnScalar(String)
  /// `--set W=[1, 2]` where W has another shape.
  case settingShapeMismatch(String, given: [Int], shape: [Int])
  /// `--set` without `=`.
  case settingSyntax(String)
  /// `--set NAME=VALUE` whose value does not read: not a finite number, a
  /// ragged list…; `shape` is the one the leaf needs.
  case settingValueInvalid(String, value: String, problem: SettingProblem, shape: [Int])
  /// `h[t+1, j] = …`: a left subscript that is not an index name (SPEC §7.3, not built yet).
  case shiftedOnTheLeft
  /// `--shuffle` without `--data` and `--batch`.
  case shuffleNeedsBatches
  /// Note: what one subscript requires of an index (`s[i + k]` needs i < 96).
  case subscriptBounds(String, String)
  /// A subscript with several indices that can leave its dimension (SPEC §7.2).
  case subscriptLeavesDimension(String, reaches: Int, extent: Int, array: String, spans: [String])
  /// `f(x)[0]`, `A[i][j]`: only a name takes a subscript list.
  case subscriptNotAllowed
  /// A coefficient or constant of an affine subscript over 2^31.
  case subscriptNumberTooLarge
  /// A constant subscript past its dimension.
  case subscriptOutOfRange(String, value: Int, extent: Int)
  /// An unexpected failure of the system (a process that cannot start).
  case systemError(String)
  /// A `--test` file whose columns are not those of `--data`.
  case testColumnsDiffer(missing: [String], extra: [String])
  /// `check --tolerance` that is not a finite number ≥ 0.
  case toleranceInvalid(String)
  /// `train`: the loss or its gradient stopped being finite (the rest as
  /// for ``nonFiniteValue(reported:arose:subject:inDerivative:at:)``).
  /// `step` is nil for the final loss, after the last step.
  case trainingDiverged(
    step: Int?, reported: ReportedValue?, arose: String, subject: String, inDerivative: Bool)
  /// `x[i + 1 + 2]`: a second constant in one subscript.
  case twoConstantsInSubscript
  /// A name used with subscripts that no declaration or definition makes an array.
  case undeclaredArray(String, example: String, suggestion: String?)
  /// A name used but never defined (so a free leaf) that looks like a typo.
  case undefinedNameLooksLikeTypo(String, suggestion: String)
  /// A reference to `_N` where no N-th anonymous output exists.
  case unknownAnonymousOutput(String)
  /// `--emit` with a language backpropc does not write.
  case unknownEmitLanguage(String)
  /// `explain --format` that is neither text nor markdown.
  case unknownFormat(String)
  /// A call of a function that is not a builtin.
  case unknownFunction(String, suggestion: String?)
  /// `graph -o` with an extension that is not .dot, .svg or .png.
  case unknownGraphFile(String)
  /// `-o` with an extension that is not .swift or .c.
  case unknownLanguage(path: String)
  /// `--optimizer` naming no optimizer.
  case unknownOptimizer(String, suggestion: String?)
  /// An option the command does not have.
  case unknownOption(String, command: String, suggestion: String?)
  /// `output` names a name that appears nowhere in the file.
  case unknownOutput(String, suggestion: String?)
  /// A leaf or variable that nothing uses and that is not an output.
  case unusedName(String, isLeaf: Bool)
  /// A name used in a statement before the statement that defines it.
  case useBeforeDefinition(String)
  /// Note: where a name that is never defined (a free leaf) is first used.
  case usedAsVariableHere(String)
  /// `where(x, a, b)`: a first argument that is not a comparison.
  case whereNeedsComparison(found: String)
  /// `--with` naming no entry point of SPEC §8.2.
  case withUnknown(String, names: String)
  /// A builtin called with the wrong number of arguments.
  case wrongArity(function: String, expected: Int, got: Int)
  /// An element with another number of subscripts than the array's rank.
  case wrongSubscriptCount(String, rank: Int, got: Int)

  /// The case name, stable across rewordings, for tests: `redefinition`.
  var id: String {
    String(String(describing: self).prefix { $0 != "(" })
  }

  /// The words a user reads.
  public var text: String {
    switch self {
    case .arrayTooLarge(let name, let elements):
      return "\(Self.quoted(name)) has \(elements) elements; an array holds at most 16777216 (2^24)"
    case .bareArray(let name, let example):
      return "\(Self.quoted(name)) is an array; use its elements, e.g. \(example)"
    case .batchNeedsData(let batch):
      return "--batch \(batch) needs --data: without it there is one sample"
    case .batchTooLarge(let batch, let rows):
      return "--batch \(batch) is more than the \(rows) row\(rows == 1 ? "" : "s") of data"
    case .coefficientAfterIndex(let index):
      let i = Self.shortened(index)
      return "a coefficient comes before its index: write 2*\(i), not \(i)*2"
    case .coefficientZero(let index):
      return "a coefficient is at least 1; leave out the term 0*\(Self.shortened(index))"
    case .comparisonOutsideWhere(let found):
      return
        "a comparison (\(found)) is allowed only as the whole first argument of where, without parentheses: write where(x > 0, a, b) for a where x > 0 and b elsewhere"
    case .constantOnTheLeft:
      return
        "the left side's subscripts must be index names; an element cannot be defined on its own"
    case .dataColumnElement(let cell, let shape):
      return shape.isEmpty
        ? "column \(Self.quoted(cell)) names an element of a scalar input"
        : "column \(Self.quoted(cell)) names no element of an input of shape \(Self.shape(shape)); write its elements as x[0], W[1,0]"
    case .dataDuplicateColumn(let name):
      return "column \(Self.quoted(name)) appears more than once in the header"
    case .dataEmpty(let hasHeader):
      return hasHeader
        ? "the data file has a header but no rows"
        : "the data file is empty; it needs a header row of input names and one row per sample"
    case .dataNotANumber(let cell):
      return "\(Self.quoted(cell)) is not a number"
    case .dataPartialArray(let name, let present, let size, let missing):
      return
        "the header has \(present) of the \(size) elements of \(Self.quoted(name)) (no column \(Self.quoted(missing))); give all of them or none"
    case .dataRaggedRow(let expected, let got):
      return "this row has \(got) cell\(got == 1 ? "" : "s"); the header has \(expected)"
    case .dataUnknownColumn(let name, let suggestion):
      return "column \(Self.quoted(name)) is not an 'input' of the program"
        + Self.didYouMean(suggestion)
    case .defaultShapeMismatch(let name, let declared, let given):
      return
        "the default has shape \(Self.shape(given)), but \(Self.quoted(name)) is declared \(Self.shape(declared))"
    case .definedHere(let name):
      return "\(Self.quoted(name)) is defined here"
    case .dotFailed(let message):
      return "dot failed: \(message)"
    case .dotNotInstalled(let format):
      return
        "writing .\(format) needs Graphviz's 'dot', which is not installed (apt-get install graphviz); or write DOT with -o graph.dot"
    case .duplicateOutput(let name):
      return "\(Self.quoted(name)) is already an output"
    case .emptyList:
      return "a list holds at least one item"
    case .expectedClosingBracket(let line, let found):
      return "expected ']' (to close '[' at line \(line)), found \(found)"
    case .expectedClosingParen(let line, let found):
      return "expected ')' (to close '(' at line \(line)), found \(found)"
    case .expectedDefault(let found):
      return
        "expected a default value (a number, a list, or xavier, he, uniform(a, b), normal(mean, std)), found \(found)"
    case .expectedExpression(let found):
      return "expected expression, found \(found)"
    case .expectedExtent(let found):
      return "expected an extent (a whole number >= 1), found \(found)"
    case .expectedInitializerArguments(let name, let found):
      return
        "\(Self.quoted(name)) takes two number literals (digits with an optional '-', no arithmetic), e.g. \(name == "normal" ? "normal(0, 1)" : "uniform(-1, 1)"); found \(found)"
    case .expectedListItem(let found):
      return "expected a number or a list, found \(found)"
    case .expectedName(let keyword, let found):
      return "expected a name after \(Self.quoted(keyword)), found \(found)"
    case .expectedStatementEnd(let found):
      return "expected ';' or a new line after the statement, found \(found)"
    case .expectedSubscript(let found):
      return
        "a subscript is an index, a whole number or a sum of them such as i + 1, t - 1 or 2*i + k - 1; found \(found)"
    case .extentMismatch(let index, let here, let first):
      return
        "index \(Self.quoted(index)) runs over \(here) element\(here == 1 ? "" : "s") here, but over \(first) where it is first used"
    case .extentZero:
      return "an extent is at least 1"
    case .fileNotFound(let path):
      return "cannot read '\(path)': no such file"
    case .fileUnreadable(let path, let isDirectory):
      return "cannot read '\(path)'" + (isDirectory ? ": it is a directory" : "")
    case .fileUnwritable(let path, let reason):
      return "cannot write '\(path)'" + (reason.map { ": " + $0 } ?? "")
    case .firstBoundHere(let index):
      return "\(Self.quoted(index)) is first bound here"
    case .firstDefinedHere(let name):
      return "\(Self.quoted(name)) was first defined here"
    case .firstUsedHere(let index, let extent):
      return
        "\(Self.quoted(index)) is first used here, over \(extent) element\(extent == 1 ? "" : "s")"
    case .functionSubscripted(let name):
      return "\(Self.quoted(name)) is a function, not an array; call it as \(name)(x)"
    case .gradientTooLarge(let output, let elements):
      return
        "the gradient up to output \(Self.quoted(output)) holds \(elements) numbers, more than 67108864 (2^26); make the output a scalar, e.g. a sum of it"
    case .hessianTooLarge(let output, let entries):
      return
        "the Hessian of \(Self.quoted(output)) holds \(entries) numbers, more than 67108864 (2^26); check it on a smaller instance of the program (shorter arrays)"
    case .hyperparameterOfOtherOptimizer(let option, let optimizer, let chosen):
      return
        "\(option) is a hyperparameter of \(optimizer), not of \(chosen); add --optimizer \(optimizer)"
    case .hyperparameterOutOfRange(let option, let value, let range, let example):
      return "\(option) \(value): give a finite number \(range), e.g. \(example)"
    case .indexBoundTwice(let index):
      return "index \(Self.quoted(index)) is already bound here"
    case .indexNotBound(let index):
      return
        "index \(Self.quoted(index)) is not bound here; did you mean sum(\(Self.shortened(index)), …)?"
    case .indexNotFresh(let index, let what):
      return "index \(Self.quoted(index)) must be a fresh name, but it is \(what)"
    case .indexRangeEmpty(let index, let lower, let upper):
      let i = Self.shortened(index)
      let need = lower > 0 ? "\(i) ≥ \(lower) and \(i) < \(upper)" : "\(i) < \(upper)"
      return "index \(Self.quoted(index)) takes no value: its subscripts need \(need)"
        + (lower > 0 ? "" : ", and an index starts at 0 at the least")
    case .indexRangeUnknown(let index):
      let i = Self.shortened(index)
      let other = i == "k" ? "j" : "k"
      return
        "the range of index \(Self.quoted(index)) cannot be found: use it alone as a subscript somewhere (x[\(i)]), or with indices whose ranges are known (s[\(i) + \(other)] beside w[\(other)])"
    case .indexSubscriptsNothing(let index):
      return "index \(Self.quoted(index)) subscripts nothing, so its extent is unknown"
    case .indexSubtracted(let index):
      return
        "index \(Self.quoted(index)) is subtracted; a subscript adds its indices (i + k), and only its constant may be negative (t - 1)"
    case .indexTwiceInSubscript(let index):
      let i = Self.shortened(index)
      return "index \(Self.quoted(index)) appears twice in one subscript; write 2*\(i)"
    case .initializerArguments(let name):
      return name == "uniform" ? "uniform(a, b) needs a < b" : "normal(mean, std) needs std >= 0"
    case .initializerOnInput(let name):
      return "initialisers are for params; \(Self.quoted(name)) is an input"
    case .initializerTakesNoArguments(let name):
      return
        "\(Self.quoted(name)) takes no arguments (its scale comes from the shape); write '= \(name)'"
    case .invalidAssignmentTarget:
      return "only a name can be assigned to"
    case .invalidCharacter(let description):
      return description
    case .invalidNumber(let literal):
      return "invalid number \(Self.quoted(literal))"
    case .iterationSpaceTooLarge(let points):
      return "this statement runs over \(points) points; at most 4294967296 (2^32)"
    case .kinkHit(let function, let convention, let at):
      return
        "\(Self.quoted(function)) is evaluated exactly at its kink\(Self.where(at)); \(convention)"
    case .learningRateNotFinite(let text):
      return "--lr \(text): give a finite number, e.g. --lr 0.5"
    case .leftIndexStartsAbove(let index, let lower, let element):
      let i = Self.shortened(index)
      return
        "index \(Self.quoted(index)) starts at \(lower), as \(Self.quoted(element)) needs, so the elements below \(lower) would be defined by no statement; shift the subscripts so that \(i) starts at 0 (\(i) - \(lower) becomes \(i)), as defining an array in parts is not supported yet"
    case .lengthNotGiven(let both):
      return both
        ? "give --steps N or --epochs E, not both"
        : "train needs --steps N or --epochs E (whole numbers >= 1)"
    case .listItemKind(let expectedList):
      return expectedList
        ? "expected a list here, as the first item at this depth is"
        : "expected a number here, as the first item at this depth is"
    case .listLength(let expected, let got):
      return got.map {
        "this list has \($0) item\($0 == 1 ? "" : "s"), but the first list at this depth has \(expected)"
      }
        ?? "this item is one too many: the first list at this depth has \(expected)"
    case .listNeedsShape(let name, let example):
      return "\(Self.quoted(name)) is declared without a shape; declare it as \(example)"
    case .listNotAllowedHere:
      return "a list is the whole right side of 'name = [...]' or a declared default, nothing else"
    case .listTooDeep(let limit):
      return "a list nests at most \(limit) deep (arrays have rank 1 to \(limit))"
    case .lossNotChosen(let outputs):
      return
        "the program has several outputs (\(outputs.joined(separator: ", "))); choose the loss with --loss NAME"
    case .missingLeafValues(let names, let more):
      var list = names.map(Self.quoted).joined(separator: ", ")
      if more > 0 { list += " and \(more) more element\(more == 1 ? "" : "s")" }
      // Whole leaves are named as leaves; elements (`x[0]`) speak for themselves.
      let noun = names.contains { $0.contains("[") } ? "" : (names.count == 1 ? "leaf " : "leaves ")
      let flags = names.prefix(3).map { "--set \(Self.shortened($0))=VALUE" }.joined(separator: " ")
      return "no value for \(noun)\(list); give a default in the program or \(flags)"
    case .missingLearningRate:
      return "train needs --lr RATE (the learning rate, e.g. --lr 0.5)"
    case .moreDiagnosticsNotShown(let count):
      return "\(count) more diagnostics not shown"
    case .moreThanOneInputFile(let first, let second):
      return "more than one input file ('\(first)' and '\(second)')"
    case .nameNotUsable:
      return "--name needs a name with at least one ASCII letter or digit"
    case .nestingTooDeep(let limit):
      return "expression nested too deeply (the limit is \(limit) levels)"
    case .noInputFile:
      return "no input file; give a .bp file, or '-' to read standard input"
    case .noOutput:
      return "the program has no output; define a name, e.g. 'y = x^2', or write an expression"
    case .noParameters:
      return "the program has no 'param' leaf to train; declare one, e.g. 'param w = 0.5'"
    case .noScalarOutput(let option, let example):
      return
        "every output is an array; choose one element with \(option), e.g. \(option) '\(example)'"
    case .nonFiniteValue(let reported, let arose, let subject, let inDerivative, let at):
      return Self.nonFinite(reported, arose, subject, inDerivative, at)
    case .notAWholeNumber(let option, let value):
      return "\(option) \(value): give a whole number >= 1"
    case .notAnArray(let name):
      return "\(Self.quoted(name)) is a scalar, so it takes no subscripts"
    case .nothingToDo:
      return
        "nothing to do: add -o FILE.swift, -o FILE.c, or --emit swift|c (or run 'backpropc eval')"
    case .numberOutOfRange(let literal):
      return "number \(Self.quoted(literal)) is too large for a 64-bit float"
    case .optionNamesArray(let option, let name, let example):
      return "\(option) is the array '\(name)'; name a scalar or one element, e.g. '\(example)'"
    case .optionNamesUnknownName(let option, let name, let suggestion):
      return "\(option) names '\(name)', which the program does not define"
        + Self.didYouMean(suggestion)
    case .optionNeedsValue(let name, let placeholder):
      return "'\(name)' needs a value (\(placeholder))"
    case .optionRepeated(let name):
      return "'\(name)' is given more than once"
    case .optionTakesNoValue(let name):
      return "'\(name)' takes no value"
    case .outputAndEmit:
      return "give either -o FILE or --emit LANGUAGE, not both"
    case .outputWithoutHessian(let command):
      return
        "--output names the output whose second derivatives --hessian computes; add --hessian, or leave --output out: \(command) reports every output"
    case .parameterDiverged(let step, let name, let value):
      return
        "training stopped at step \(step): the update made parameter \(Self.quoted(name)) \(value)"
    case .plotIsOutput(let path):
      return "--plot \(path): that is the file -o writes; give the plot its own name"
    case .plotNotSVG(let path):
      return "--plot \(path): the plot is an SVG file; give a name ending in .svg"
    case .programTooLarge(let elements):
      return "the program's variables hold \(elements) elements; at most 67108864 (2^26)"
    case .rankTooLarge(let limit):
      return "an array has at most \(limit) dimensions"
    case .redefinition(let name):
      return "\(Self.quoted(name)) is defined more than once"
    case .reductionNeedsIndex(let reduction):
      return
        "\(Self.quoted(reduction)) takes its indices, then the expression to reduce: \(reduction)(i, x[i])"
    case .reservedName(let name):
      return "\(Self.quoted(name)) is reserved for anonymous outputs and cannot be defined"
    case .seedInvalid(let text):
      return "--seed \(text): give a whole number from 0 to 18446744073709551615"
    case .settingElementOutOfRange(let name, let element, let shape):
      return
        "--set \(Layout.elementName(name, element)): no such element; '\(name)' has shape \(Self.shape(shape))"
    case .settingOfComputedName(let name, let suggestion):
      return
        "'\(name)' is not a leaf (it is computed by the program), so --set cannot give it a value"
        + Self.didYouMean(suggestion)
    case .settingOfUnknownName(let name, let suggestion):
      return "--set names '\(name)', which is not a leaf of the program"
        + Self.didYouMean(suggestion)
    case .settingOnScalar(let name):
      return "--set \(name)[…]: '\(name)' is a scalar; give it one number, --set \(name)=VALUE"
    case .settingShapeMismatch(let name, let given, let shape):
      return
        "--set \(name): the list has shape \(Self.shape(given)), but '\(name)' has shape \(Self.shape(shape))"
    case .settingSyntax(let setting):
      return "--set needs NAME=VALUE, got '\(setting)'"
    case .settingValueInvalid(let name, let value, let problem, let shape):
      let needs =
        shape.isEmpty
        ? "give \(Self.quoted(name)) one finite number"
        : "\(Self.quoted(name)) has shape \(Self.shape(shape)): give a list of that shape, e.g. \(Self.zeros(shape)), or one number to fill it"
      let what =
        switch problem {
        case .syntax, .malformed: "the value is not a number or a list of numbers"
        case .notANumber(let text): "\(Self.quoted(text)) is not a finite number"
        case .ragged(let expected, let got):
          "the list is ragged: a list has \(got) item\(got == 1 ? "" : "s"), but the first at its depth has \(expected)"
        case .mixed: "the list mixes numbers and lists at one depth"
        case .tooDeep: "the list nests deeper than 4, the most dimensions an array has"
        }
      return "--set \(Self.shortened(name))=\(Self.shortened(value)): \(what); \(needs)"
    case .shiftedOnTheLeft:
      return
        "defining an array in parts (h[t + 1, j] = …, recurrences) is not supported yet; the left side's subscripts must be index names"
    case .shuffleNeedsBatches:
      return "--shuffle needs --data and --batch: it permutes the rows that batches are taken from"
    case .subscriptBounds(let element, let bounds):
      return bounds.isEmpty
        ? "\(Self.quoted(element)) bounds it only once its other indices have ranges"
        : "\(Self.quoted(element)) needs \(bounds)"
    case .subscriptLeavesDimension(let element, let reaches, let extent, let array, let spans):
      let fix =
        reaches < 0
        ? "raise its constant by \(-reaches)"
        : "give \(Self.quoted(array)) at least \(reaches + 1) elements there"
      return
        "\(Self.quoted(element)) reaches \(reaches) for \(spans.joined(separator: " and ")), outside this dimension of \(Self.quoted(array)) (0 to \(extent - 1)); its indices' ranges are fixed by their other subscripts, so \(fix), or narrow those subscripts"
    case .subscriptNotAllowed:
      return "only a name takes subscripts, and one list of them: write A[i, j]"
    case .subscriptNumberTooLarge:
      return "a subscript's coefficients and constant are at most 2147483648 (2^31)"
    case .subscriptOutOfRange(let name, let value, let extent):
      return
        "subscript \(value == Int.max ? "beyond 2^63" : String(value)) is out of range: this dimension of \(Self.quoted(name)) has \(extent) element\(extent == 1 ? "" : "s") (0 to \(extent - 1))"
    case .systemError(let description):
      return description
    case .testColumnsDiffer(let missing, let extra):
      var parts: [String] = []
      if !missing.isEmpty {
        parts.append("lacks " + missing.map(Self.quoted).joined(separator: ", "))
      }
      if !extra.isEmpty {
        parts.append(
          "has " + extra.map(Self.quoted).joined(separator: ", ") + " that --data has not")
      }
      return "the test file must have exactly the columns of --data; it "
        + parts.joined(separator: " and ")
    case .toleranceInvalid(let text):
      return "--tolerance \(text): give a finite number >= 0, e.g. 1e-6"
    case .trainingDiverged(let step, let reported, let arose, let subject, let inDerivative):
      let when =
        step.map { "training stopped at step \($0)" }
        ?? "after the last step, the final loss is not finite"
      return when + ": " + Self.nonFinite(reported, arose, subject, inDerivative, nil)
    case .twoConstantsInSubscript:
      return "a subscript has at most one constant; write their sum, e.g. i + 3"
    case .undeclaredArray(let name, let example, let suggestion):
      guard suggestion == nil else {
        return
          "\(Self.quoted(name)) is used with subscripts but is not an array defined before this"
          + Self.didYouMean(suggestion)
      }
      return
        "\(Self.quoted(name)) is used with subscripts but is not an array defined before this; declare it, e.g. \(example)"
    case .undefinedNameLooksLikeTypo(let name, let suggestion):
      return "\(Self.quoted(name)) is never defined, so it is a leaf with no default"
        + Self.didYouMean(suggestion)
    case .unknownAnonymousOutput(let name):
      return "\(Self.quoted(name)) names an anonymous output that the program does not have"
    case .unknownEmitLanguage(let language):
      return "unknown language '\(language)' for --emit; use swift, c or ir"
    case .unknownFormat(let format):
      return "unknown --format '\(format)'; use text or markdown"
    case .unknownFunction(let name, let suggestion):
      return "unknown function \(Self.quoted(name))" + Self.didYouMean(suggestion)
    case .unknownGraphFile(let path):
      return "cannot tell what to write to '\(path)'; name it *.dot, *.svg or *.png"
    case .unknownLanguage(let path):
      return "cannot tell the language of '\(path)'; name it *.swift or *.c, or use --emit swift|c"
    case .unknownOptimizer(let name, let suggestion):
      return "unknown optimizer \(Self.quoted(name))"
        + (suggestion == nil ? "; choose sgd, momentum or adam" : Self.didYouMean(suggestion))
    case .unknownOption(let name, let command, let suggestion):
      return "unknown option '\(name)' for '\(command)'" + Self.didYouMean(suggestion)
    case .unknownOutput(let name, let suggestion):
      return "'output' names \(Self.quoted(name)), which the program does not define or use"
        + Self.didYouMean(suggestion)
    case .unusedName(let name, let isLeaf):
      return isLeaf
        ? "leaf \(Self.quoted(name)) is never used; the outputs do not depend on it"
        : "\(Self.quoted(name)) is never used and is not an output"
    case .useBeforeDefinition(let name):
      return "\(Self.quoted(name)) is used before its definition"
    case .usedAsVariableHere(let name):
      return "\(Self.quoted(name)) is used here as a variable (a leaf, as it is never defined)"
    case .whereNeedsComparison(let found):
      return
        "the first argument of where is a comparison (<, <=, >, >=, == or !=), e.g. where(x > 0, sqrt(x), 0); found \(found)"
    case .withUnknown(let name, let names):
      return "--with \(Self.quoted(name)): no such entry point; give a comma list of \(names)"
    case .wrongArity(let function, let expected, let got):
      let noun = expected == 1 ? "argument" : "arguments"
      return
        "\(Self.quoted(function)) takes \(expected) \(noun), but \(got) \(got == 1 ? "was" : "were") given"
    case .wrongSubscriptCount(let name, let rank, let got):
      return
        "\(Self.quoted(name)) has \(rank) dimension\(rank == 1 ? "" : "s"), but \(got) subscript\(got == 1 ? " was" : "s were") given"
    }
  }

  /// A name in single quotes, cut short when it is very long (a 1 MB
  /// identifier must not become a 1 MB message).
  static func quoted(_ name: String) -> String {
    "'\(shortened(name))'"
  }

  static func shortened(_ name: String) -> String {
    name.utf8.count <= 64 ? name : String(name.prefix(32)) + "…(\(name.utf8.count) characters)"
  }

  /// What became non-finite, and where the first non-finite value arose.
  private static func nonFinite(
    _ reported: ReportedValue?, _ arose: String, _ subject: String, _ inDerivative: Bool,
    _ at: Occurrence?
  ) -> String {
    let expression = inDerivative ? "the derivative of this expression" : "this expression"
    guard let reported else {
      return
        "a non-finite value, \(arose), arose in \(expression)\(Self.where(at)), but \(subject) stays finite"
    }
    let first =
      reported.value == arose
      ? "the first non-finite value" : "the first non-finite value, \(arose),"
    return "\(reported.name) is \(reported.value)\(Self.where(at)); \(first) arose in \(expression)"
  }

  /// ` at h[1]`, ` at 3 of 4 elements, first h[1]`, or nothing outside loops.
  private static func `where`(_ at: Occurrence?) -> String {
    guard let at else { return "" }
    guard at.count > 1 else { return " at \(at.place)" }
    return
      " at \(at.count) of \(at.total) \(at.isElement ? "elements" : "points"), first \(at.place)"
  }

  /// `[[0, 0, 0], [0, 0, 0]]`, or `[[0, …], …]` past 8 elements.
  static func zeros(_ shape: [Int]) -> String {
    guard shape.reduce(1, { $0 * min($1, 9) }) <= 8 else {
      return String(repeating: "[", count: shape.count) + "0, …"
        + String(repeating: "], …", count: shape.count - 1) + "]"
    }
    return shape.reversed().reduce("0") { inner, extent in
      "[" + [String](repeating: inner, count: extent).joined(separator: ", ") + "]"
    }
  }

  /// `[2, 3]`
  static func shape(_ extents: [Int]) -> String {
    "[" + extents.map(String.init).joined(separator: ", ") + "]"
  }

  /// The one spelling of a suggestion.
  private static func didYouMean(_ suggestion: String?) -> String {
    suggestion.map { "; did you mean \(quoted($0))?" } ?? ""
  }
}
