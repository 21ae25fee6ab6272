/// Parses a program into a ``SyntaxTree``, reporting every syntax error it can
/// find in one run.
///
/// Recursive descent with Lua's precedence table. Each parse function quotes
/// its production from `Grammar/backprop.ebnf`. After an error the parser is
/// in panic mode: it stays quiet until the statement ends, then resynchronises
/// at the next `;` or line break (clox's `synchronize`, Go's `advance`).
public struct Parser {
  /// Parentheses, unary minus and `^` may nest this deep: clang's bracket
  /// limit. Deeper input is an error, not a stack overflow.
  static let nestingLimit = 256

  private let file: SourceFile
  private var lexer: Lexer
  private var diagnostics: DiagnosticList
  private var tree = SyntaxTree()
  private var current: Token
  /// One token of lookahead, to tell `x = …` from the expression `x`.
  private var lookahead: Token?
  private var depth = 0
  private var parenDepth = 0
  /// Whether a comparison may end the expression being read: only in the
  /// first argument of `where`, outside any nested parentheses or call.
  private var comparisonAllowed = false
  private var panicking = false

  private init(_ file: SourceFile) {
    self.file = file
    self.lexer = Lexer(file)
    self.diagnostics = DiagnosticList()
    self.current = lexer.next(into: &diagnostics)
  }

  /// Parses a whole file.
  public static func parse(_ file: SourceFile, into diagnostics: inout DiagnosticList) -> SyntaxTree
  {
    var parser = Parser(file)
    parser.parseProgram()
    diagnostics.append(contentsOf: parser.diagnostics)
    return parser.tree
  }

  // MARK: - Statements

  /// program = { statement } .
  private mutating func parseProgram() {
    while current.kind != .endOfFile {
      if current.kind == .semicolon {
        advance()
        continue
      }
      parseStatement()
    }
  }

  /// statement = [ declaration | outputs | assignment | expression ] end .
  /// end = ";" | newline | end of file .
  private mutating func parseStatement() {
    let start = current.range.start
    var firstExpression = tree.expressions.count
    panicking = false
    parenDepth = 0
    let kind: Statement.Kind
    switch current.kind {
    case .keywordInput: kind = parseDeclaration(.input)
    case .keywordParam: kind = parseDeclaration(.param)
    case .keywordOutput: kind = parseOutputs()
    case .identifier where peek().kind == .equals && !peek().newlineBefore:
      kind = parseAssignment()
    default:
      let value = parseExpression()
      if current.kind == .equals && !current.newlineBefore {
        if case .element(let name, let nameRange, let subscripts) = tree[value].kind, !panicking {
          // `h[j] = …`: the element was the left side; it is not a use.
          firstExpression = tree.expressions.count
          kind = parseIndexedAssignment(name, nameRange, subscripts)
        } else {
          report(.invalidAssignmentTarget, at: tree[value].range)
          kind = .expression(value)
        }
      } else {
        kind = .expression(value)
      }
    }
    let end = previousEnd
    tree.statements.append(
      Statement(
        kind: kind, range: SourceRange(start, end),
        expressions: firstExpression..<tree.expressions.count))
    expectStatementEnd(statementStart: start)
  }

  /// assignment = name [ indices ] "=" ( expression | list ) .
  private mutating func parseAssignment() -> Statement.Kind {
    let name = file.text(current.range)
    let nameRange = current.range
    advance()  // the name
    advance()  // "="
    if current.kind == .leftBracket {
      guard let list = parseList() else {
        return .assignment(
          name: name, nameRange: nameRange, indices: [], value: errorNode(at: current.range))
      }
      return .listAssignment(name: name, nameRange: nameRange, list: list)
    }
    return .assignment(name: name, nameRange: nameRange, indices: [], value: parseExpression())
  }

  /// indices = "[" index { "," index } "]" .
  ///
  /// The left side `h[j, k]` was parsed as an element; its subscripts must be
  /// index names (a constant there is an error), and `current` is the `=`.
  private mutating func parseIndexedAssignment(
    _ name: String, _ nameRange: SourceRange, _ subscripts: [SubscriptSyntax]
  ) -> Statement.Kind {
    var indices: [IndexName] = []
    for written in subscripts {
      switch written {
      case .index(let index): indices.append(index)
      case .constant(_, let range): report(.constantOnTheLeft, at: range)
      case .affine(_, _, let range): report(.shiftedOnTheLeft, at: range)
      }
    }
    advance()  // "="
    if current.kind == .leftBracket {
      report(.listNotAllowedHere, at: current.range)
      return .assignment(
        name: name, nameRange: nameRange, indices: indices, value: errorNode(at: current.range))
    }
    return .assignment(name: name, nameRange: nameRange, indices: indices, value: parseExpression())
  }

  /// declaration = ( "input" | "param" ) leaf { "," leaf } .
  /// leaf = name [ shape ] [ "=" default ] .
  private mutating func parseDeclaration(_ kind: LeafKind) -> Statement.Kind {
    let keyword = kind.rawValue
    advance()
    var leaves: [LeafDeclaration] = []
    repeat {
      // After the keyword the name must be on the same line; after ',' the
      // statement goes on to the next line.
      guard current.kind == .identifier, !(leaves.isEmpty && current.newlineBefore) else {
        expectedName(after: leaves.isEmpty ? keyword : ",")
        break
      }
      var leaf = LeafDeclaration(name: file.text(current.range), nameRange: current.range)
      advance()
      if current.kind == .leftBracket && !current.newlineBefore {
        guard let (shape, range) = parseShape() else { break }
        (leaf.shape, leaf.shapeRange) = (shape, range)
      }
      if current.kind == .equals {
        advance()
        // Declared even so, without a default: its uses report nothing more.
        guard parseDefault(&leaf) else {
          leaves.append(leaf)
          break
        }
      }
      leaves.append(leaf)
    } while acceptOnSameLine(.comma)
    return .declaration(kind, leaves)
  }

  /// shape = "[" extent { "," extent } "]" .
  private mutating func parseShape() -> ([Int], SourceRange)? {
    let open = current.range
    advance()
    parenDepth += 1
    defer { parenDepth -= 1 }
    var extents: [Int] = []
    repeat {
      guard current.kind == .number, let extent = wholeNumber(current.range) else {
        if current.kind == .invalid {
          panicking = true
        } else {
          report(.expectedExtent(found: describe(current)), at: place(of: current))
        }
        return nil
      }
      // Reported here, under the digits; the checker leaves such a shape unset.
      if extent == 0 { report(.extentZero, at: current.range) }
      extents.append(extent)
      advance()
    } while accept(.comma)
    guard expectClosing(.rightBracket, openedAt: open) else { return nil }
    return (extents, SourceRange(open.start, previousEnd))
  }

  /// default = signed | list | initializer .
  /// initializer = "xavier" | "he" | ( "uniform" | "normal" ) "(" signed "," signed ")" .
  ///
  /// Returns false after an error.
  private mutating func parseDefault(_ leaf: inout LeafDeclaration) -> Bool {
    let start = current.range.start
    switch current.kind {
    case .leftBracket:
      guard let list = parseList() else { return false }
      leaf.defaultList = list
    case .identifier:
      let word = file.text(current.range)
      switch word {
      case "xavier", "he":
        leaf.initializer = word == "he" ? .he : .xavier
        advance()
        if current.kind == .leftParen {
          report(.initializerTakesNoArguments(word), at: current.range)
          return false
        }
      case "uniform" where peek().kind == .leftParen, "normal" where peek().kind == .leftParen:
        advance()
        let open = current.range
        advance()
        parenDepth += 1
        // Two signed number literals, then `)`: anything else (`2 * 3`, a
        // name) is reported as not a literal, rather than as a missing `)`.
        guard let a = parseSigned(), accept(.comma), let b = parseSigned(),
          current.kind == .rightParen
        else {
          parenDepth -= 1
          if !panicking {
            report(
              .expectedInitializerArguments(word, found: describe(current)), at: place(of: current))
          }
          return false
        }
        parenDepth -= 1
        guard expectClosingParen(openedAt: open) else { return false }
        leaf.initializer = word == "uniform" ? .uniform(a, b) : .normal(mean: a, std: b)
      default:
        report(.expectedDefault(found: describe(current)), at: place(of: current))
        return false
      }
    default:
      guard let value = parseSigned() else {
        if !panicking { report(.expectedDefault(found: describe(current)), at: place(of: current)) }
        return false
      }
      leaf.defaultValue = value
    }
    leaf.defaultRange = SourceRange(start, previousEnd)
    return true
  }

  /// signed = [ "-" ] number .
  ///
  /// Nil, without a report, when there is no number (a bad literal has been
  /// reported by the lexer, and the statement is in panic mode).
  private mutating func parseSigned() -> Double? {
    let negative = current.kind == .minus
    if negative { advance() }
    if current.kind == .invalid {
      panicking = true
      return nil
    }
    guard current.kind == .number else { return nil }
    let value = numberValue(current.range)
    if value != nil { advance() }
    return value.map { negative ? -$0 : $0 }
  }

  /// list = "[" item { "," item } "]" .
  /// item = list | signed .
  ///
  /// Iterative, so 10,000 nested brackets cannot overflow the stack. The
  /// shape comes from the first item at each depth; the first item that
  /// differs is the error.
  private mutating func parseList() -> ListLiteral? {
    let start = current.range.start
    var open: [(bracket: SourceRange, count: Int)] = []
    var length: [Int?] = []  // each depth's item count, from its first list
    var itemIsList: [Bool?] = []  // whether each depth holds lists or numbers
    var values: [Double] = []
    parenDepth += 1
    defer { parenDepth -= 1 }
    func openList() -> Bool {
      guard open.count < Self.rankLimit else {
        report(.listTooDeep(limit: Self.rankLimit), at: current.range)
        return false
      }
      open.append((current.range, 0))
      if length.count < open.count {
        length.append(nil)
        itemIsList.append(nil)
      }
      advance()
      if current.kind == .rightBracket {
        report(.emptyList, at: SourceRange(open[open.count - 1].bracket.start, current.range.end))
        return false
      }
      return true
    }
    guard openList() else { return nil }
    while true {
      let d = open.count - 1
      if current.kind == .leftBracket {
        guard itemIsList[d] != false else {
          report(.listItemKind(expectedList: false), at: current.range)
          return nil
        }
        itemIsList[d] = true
        guard openList() else { return nil }
        continue
      }
      var itemStart = current.range.start
      guard let value = parseSigned() else {
        if !panicking {
          report(.expectedListItem(found: describe(current)), at: place(of: current))
        }
        return nil
      }
      guard itemIsList[d] != true else {
        report(.listItemKind(expectedList: true), at: SourceRange(itemStart, previousEnd))
        return nil
      }
      itemIsList[d] = false
      values.append(value)
      // The item is complete: count it, then go on after ',' or close lists.
      while true {
        let d = open.count - 1
        open[d].count += 1
        if let n = length[d], open[d].count > n {
          report(.listLength(expected: n, got: nil), at: SourceRange(itemStart, previousEnd))
          return nil
        }
        if accept(.comma) { break }
        guard current.kind == .rightBracket else {
          if current.kind == .invalid {
            panicking = true
          } else {
            let line = file.location(of: open[d].bracket.start).line
            report(
              .expectedClosingBracket(openedAtLine: line, found: describe(current)),
              at: place(of: current))
          }
          return nil
        }
        if let n = length[d], open[d].count != n {
          report(.listLength(expected: n, got: open[d].count), at: current.range)
          return nil
        }
        length[d] = open[d].count
        itemStart = open[d].bracket.start
        advance()
        open.removeLast()
        if open.isEmpty {
          return ListLiteral(
            shape: length.map { $0 ?? 0 }, values: values, range: SourceRange(start, previousEnd))
        }
      }
    }
  }

  /// Arrays have rank 1 to 4 (SPEC §6.2).
  static let rankLimit = 4

  /// outputs = "output" name { "," name } .
  private mutating func parseOutputs() -> Statement.Kind {
    advance()
    var names: [(name: String, range: SourceRange)] = []
    repeat {
      guard current.kind == .identifier, !(names.isEmpty && current.newlineBefore) else {
        expectedName(after: names.isEmpty ? "output" : ",")
        break
      }
      names.append((file.text(current.range), current.range))
      advance()
    } while acceptOnSameLine(.comma)
    return .output(names)
  }

  /// A name was due after `keyword`; a line break there ends the statement.
  private mutating func expectedName(after keyword: String) {
    if current.newlineBefore && keyword != "," {
      report(
        .expectedName(
          after: keyword, found: current.kind == .endOfFile ? "end of file" : "end of line"),
        at: SourceRange(previousEnd, previousEnd))
    } else if current.kind == .invalid {
      panicking = true
    } else {
      report(.expectedName(after: keyword, found: describe(current)), at: current.range)
    }
  }

  private mutating func expectStatementEnd(statementStart: Int) {
    if current.kind == .semicolon {
      advance()
    } else if current.kind == .invalid {
      panicking = true
    } else if current.kind != .endOfFile && !current.newlineBefore {
      report(.expectedStatementEnd(found: describe(current)), at: current.range)
    }
    if panicking { synchronize(statementStart: statementStart) }
  }

  /// Skips to the start of the next statement: past a `;`, or to a token that
  /// begins a line (but never the statement's own first token, so the parser
  /// always moves on).
  private mutating func synchronize(statementStart: Int) {
    while current.kind != .endOfFile {
      if current.kind == .semicolon {
        advance()
        return
      }
      if current.newlineBefore && current.range.start > max(statementStart, lastErrorStart) {
        return
      }
      advance()
    }
  }

  // MARK: - Expressions

  /// Binding powers, Lua-style: right associativity is a smaller right priority.
  private static func priority(_ op: BinaryOperator) -> (left: Int, right: Int) {
    switch op {
    case .add, .subtract: (10, 10)
    case .multiply, .divide: (11, 11)
    case .power: (14, 13)
    }
  }
  /// Unary minus binds looser than `^`: `-x^2 == -(x^2)`.
  private static let unaryPriority = 12

  /// expression = term { ( "+" | "-" ) term } .
  /// term = unary { ( "*" | "/" ) unary } .
  /// unary = "-" unary | power .
  /// power = primary [ "^" unary ] .
  ///
  /// Parses operators that bind tighter than `limit`.
  private mutating func parseExpression(_ limit: Int = 0) -> ExpressionID {
    guard enterNesting() else { return errorNode(at: current.range) }
    defer { depth -= 1 }
    var left: ExpressionID
    if current.kind == .minus {
      let start = current.range.start
      advance()
      let operand = parseExpression(Self.unaryPriority)
      left = add(.negate(operand), SourceRange(start, tree[operand].range.end))
    } else {
      left = parsePrimary()
    }
    while let op = binaryOperator(current), Self.priority(op).left > limit, !panicking {
      if current.newlineBefore && parenDepth == 0 { break }
      advance()
      let right = parseExpression(Self.priority(op).right)
      left = add(.binary(op, left, right), tree[left].range.union(tree[right].range))
    }
    if case .comparison = current.kind, !comparisonAllowed,
      !current.newlineBefore || parenDepth > 0
    {
      report(.comparisonOutsideWhere(describe(current)), at: current.range)
    }
    return left
  }

  /// primary = number | name | element | call | reduction | "(" expression ")" .
  /// call = name "(" [ expression { "," expression } ] ")" | "where" "(" condition "," expression "," expression ")" .
  /// condition = expression ( "<" | "<=" | ">" | ">=" | "==" | "!=" ) expression .
  private mutating func parsePrimary() -> ExpressionID {
    let primary = parsePrimaryAlone()
    // `f(x)[0]`, `(x)[0]`, `A[i][j]`: only a name takes one subscript list.
    if current.kind == .leftBracket && (!current.newlineBefore || parenDepth > 0) && !panicking {
      report(.subscriptNotAllowed, at: current.range)
      return errorNode(at: current.range)
    }
    return primary
  }

  private mutating func parsePrimaryAlone() -> ExpressionID {
    let token = current
    let follows = peek()
    let sameLine = !follows.newlineBefore || parenDepth > 0
    switch token.kind {
    case .number:
      advance()
      guard let value = numberValue(token.range) else { return errorNode(at: token.range) }
      return add(.number(value), token.range)
    case .identifier where follows.kind == .leftParen && sameLine:
      let name = file.text(token.range)
      if let reduction = Reduction.always(name) {
        return parseReduction(reduction)
      }
      if name == "max" || name == "min", indicesAhead() {
        return parseReduction(name == "max" ? .maximum : .minimum)
      }
      return parseCall()
    case .identifier where follows.kind == .leftBracket && sameLine:
      return parseElement()
    case .identifier:
      advance()
      return add(.name(file.text(token.range)), token.range)
    case .leftParen:
      advance()
      parenDepth += 1
      let outerComparison = comparisonAllowed
      comparisonAllowed = false
      let inner = parseExpression()
      comparisonAllowed = outerComparison
      parenDepth -= 1
      guard expectClosingParen(openedAt: token.range) else { return errorNode(at: token.range) }
      return add(.parenthesized(inner), SourceRange(token.range.start, previousEnd))
    case .invalid:
      // The lexer has said what is wrong with it; one message is enough.
      panicking = true
      return errorNode(at: token.range)
    default:
      report(.expectedExpression(found: describe(token)), at: place(of: token))
      return errorNode(at: token.range)
    }
  }

  /// element = name "[" subscript { "," subscript } "]" .
  private mutating func parseElement() -> ExpressionID {
    let nameToken = current
    advance()  // the name
    let open = current.range
    advance()  // "["
    parenDepth += 1
    var subscripts: [SubscriptSyntax] = []
    repeat {
      guard let written = parseSubscript() else {
        parenDepth -= 1
        return errorNode(at: nameToken.range)
      }
      subscripts.append(written)
    } while accept(.comma)
    parenDepth -= 1
    guard expectClosing(.rightBracket, openedAt: open) else {
      return errorNode(at: nameToken.range)
    }
    return add(
      .element(file.text(nameToken.range), nameRange: nameToken.range, subscripts: subscripts),
      SourceRange(nameToken.range.start, previousEnd))
  }

  /// The largest coefficient or constant of an affine subscript: far past
  /// any extent (2^24 elements), small enough that range arithmetic cannot
  /// overflow.
  static let subscriptNumberLimit = 1 << 31

  /// subscript = [ "-" ] summand { ( "+" | "-" ) summand } .
  /// summand = index | extent [ "*" index ] .
  ///
  /// SPEC §7.1: indices with a coefficient ≥ 1 written before them, each
  /// index at most once, and at most one constant, which alone may be
  /// negative. A plain index or constant keeps its own case. Reports the
  /// first thing wrong and returns nil.
  private mutating func parseSubscript() -> SubscriptSyntax? {
    let start = current.range.start
    var terms: [AffineTermSyntax] = []
    var constant: Int?
    var negative = accept(.minus)
    var signRange = negative ? SourceRange(start, previousEnd) : nil
    while true {
      let token = current
      // A number is a constant, or the coefficient of the index after `*`.
      var coefficient: Int?
      let whole = token.kind == .number ? wholeNumber(token.range) : nil
      if let value = whole {
        advance()
        if current.kind == .star {
          advance()
          guard current.kind == .identifier else {
            report(.expectedSubscript(found: describe(current)), at: place(of: current))
            return nil
          }
          coefficient = value
        } else {
          guard constant == nil else {
            report(.twoConstantsInSubscript, at: token.range)
            return nil
          }
          let signed = SourceRange(signRange?.start ?? token.range.start, token.range.end)
          guard value <= Self.subscriptNumberLimit || (terms.isEmpty && !negative && isSubscriptEnd)
          else {
            report(.subscriptNumberTooLarge, at: signed)
            return nil
          }
          constant = negative ? -value : value
        }
      }
      if current.kind == .identifier && (coefficient != nil || token.kind == .identifier) {
        let index = IndexName(name: file.text(current.range), range: current.range)
        let written = SourceRange(token.range.start, current.range.end)
        advance()
        if coefficient == nil && current.kind == .star {
          report(
            .coefficientAfterIndex(index.name), at: SourceRange(written.start, current.range.end))
          return nil
        }
        if negative, let sign = signRange {
          report(.indexSubtracted(index.name), at: SourceRange(sign.start, written.end))
          return nil
        }
        let value = coefficient ?? 1
        guard value >= 1 else {
          report(.coefficientZero(index.name), at: written)
          return nil
        }
        guard value <= Self.subscriptNumberLimit else {
          report(.subscriptNumberTooLarge, at: token.range)
          return nil
        }
        if terms.contains(where: { $0.index.name == index.name }) {
          report(.indexTwiceInSubscript(index.name), at: index.range)
          return nil
        }
        terms.append(AffineTermSyntax(coefficient: value, index: index))
      } else if whole == nil {
        if token.kind == .invalid {
          panicking = true
        } else {
          report(.expectedSubscript(found: describe(token)), at: place(of: token))
        }
        return nil
      }
      if isSubscriptEnd { break }
      guard current.kind == .plus || current.kind == .minus else {
        report(.expectedSubscript(found: describe(current)), at: place(of: current))
        return nil
      }
      negative = current.kind == .minus
      signRange = current.range
      advance()
    }
    let range = SourceRange(start, previousEnd)
    if terms.isEmpty, let constant, constant >= 0, signRange == nil {
      return .constant(constant, range)
    }
    if terms.count == 1, terms[0].coefficient == 1, constant == nil {
      return .index(terms[0].index)
    }
    return .affine(terms, constant: constant ?? 0, range)
  }

  /// Whether the subscript being read ends here: at its `,` or `]`.
  private var isSubscriptEnd: Bool {
    current.kind == .comma || current.kind == .rightBracket
  }

  /// Whether the call whose `(` is the lookahead is `max(i, …, e)` over
  /// indices: its arguments before the last are bare names, and each is a
  /// subscript somewhere in the last (`max(i, x[i])`, `min(t, k, d[t + k])`).
  /// Reads ahead on a copy of the lexer, to the first subscript that
  /// settles it or the call's `)`: a nested call rereads its own part, so
  /// the cost is at most the nesting limit times the statement.
  private func indicesAhead() -> Bool {
    var scan = lexer
    var scratch = DiagnosticList()
    var leading: [String] = []
    var token = scan.next(into: &scratch)
    var pending: Token?  // read past a name that turned out to start the last argument
    while token.kind == .identifier {
      let after = scan.next(into: &scratch)
      guard after.kind == .comma else {
        pending = after
        break
      }
      leading.append(file.text(token.range))
      token = scan.next(into: &scratch)
    }
    guard !leading.isEmpty else { return false }
    var used = Set<String>()
    var (parens, brackets) = (0, 0)
    while token.kind != .endOfFile {
      switch token.kind {
      case .leftParen:
        parens += 1
        if parens > Self.nestingLimit { return false }  // an error of its own, soon
      case .rightParen:
        if parens == 0 { return leading.allSatisfy(used.contains) }
        parens -= 1
      case .leftBracket: brackets += 1
      case .rightBracket: brackets = max(0, brackets - 1)
      case .comma where parens == 0 && brackets == 0: return false
      case .identifier where brackets > 0:
        used.insert(file.text(token.range))
        if leading.allSatisfy(used.contains) { return true }
      default: break
      }
      token = pending ?? scan.next(into: &scratch)
      pending = nil
    }
    return false
  }

  /// reduction = ( "sum" | "logsumexp" | "max" | "min" ) "(" index { "," index } "," expression ")" .
  private mutating func parseReduction(_ reduction: Reduction) -> ExpressionID {
    let nameToken = current
    advance()  // "sum"
    let open = current.range
    advance()  // "("
    parenDepth += 1
    var indices: [IndexName] = []
    while current.kind == .identifier && peek().kind == .comma {
      indices.append(IndexName(name: file.text(current.range), range: current.range))
      advance()
      advance()
    }
    if indices.isEmpty {
      parenDepth -= 1
      if current.kind == .invalid {
        panicking = true
      } else {
        report(
          .reductionNeedsIndex(reduction.rawValue),
          at: SourceRange(nameToken.range.start, current.range.end))
      }
      return errorNode(at: nameToken.range)
    }
    let outerComparison = comparisonAllowed
    comparisonAllowed = false
    let body = parseExpression()
    comparisonAllowed = outerComparison
    parenDepth -= 1
    guard expectClosingParen(openedAt: open) else { return errorNode(at: nameToken.range) }
    return add(
      .reduction(reduction, nameRange: nameToken.range, indices: indices, body: body),
      SourceRange(nameToken.range.start, previousEnd))
  }

  private mutating func parseCall() -> ExpressionID {
    let nameToken = current
    advance()  // the name
    let open = current
    advance()  // "("
    parenDepth += 1
    let outerComparison = comparisonAllowed
    defer { comparisonAllowed = outerComparison }
    let isWhere = file.text(nameToken.range) == "where"
    var arguments: [ExpressionID] = []
    if current.kind != .rightParen {
      repeat {
        // `where(x > 0, a, b)`: its condition, a comparison (SPEC §7.6).
        comparisonAllowed = isWhere && arguments.isEmpty
        let argument = parseExpression()
        comparisonAllowed = false
        if isWhere && arguments.isEmpty && !panicking {
          guard case .comparison(let op) = current.kind else {
            if current.kind == .invalid {
              panicking = true  // the lexer has said what is wrong
            } else {
              report(.whereNeedsComparison(found: describe(current)), at: place(of: current))
            }
            break
          }
          advance()
          let right = parseExpression()
          arguments.append(
            add(.comparison(op, argument, right), tree[argument].range.union(tree[right].range)))
        } else {
          arguments.append(argument)
        }
      } while !panicking && accept(.comma)
    }
    parenDepth -= 1
    guard expectClosingParen(openedAt: open.range) else { return errorNode(at: nameToken.range) }
    return add(
      .call(file.text(nameToken.range), nameRange: nameToken.range, arguments: arguments),
      SourceRange(nameToken.range.start, previousEnd))
  }

  /// A `]` to close the `[` at `open`.
  private mutating func expectClosing(_ kind: Token.Kind, openedAt open: SourceRange) -> Bool {
    if kind == .rightParen { return expectClosingParen(openedAt: open) }
    if accept(kind) { return true }
    guard !panicking else { return false }
    if current.kind == .invalid {
      panicking = true
      return false
    }
    let line = file.location(of: open.start).line
    report(
      .expectedClosingBracket(openedAtLine: line, found: describe(current)), at: place(of: current))
    return false
  }

  private mutating func expectClosingParen(openedAt open: SourceRange) -> Bool {
    if accept(.rightParen) { return true }
    guard !panicking else { return false }
    let line = file.location(of: open.start).line
    if current.newlineBefore {
      // The line ended without its ')': point at the end of that line, and let
      // the next line parse as the statement it probably is.
      let found = current.kind == .endOfFile ? "end of file" : "end of line"
      report(
        .expectedClosingParen(openedAtLine: line, found: found),
        at: SourceRange(previousEnd, previousEnd))
    } else {
      report(.expectedClosingParen(openedAtLine: line, found: describe(current)), at: current.range)
    }
    return false
  }

  // MARK: - Helpers

  private var previousEnd = 0

  private mutating func advance() {
    previousEnd = current.range.end
    if let next = lookahead {
      current = next
      lookahead = nil
    } else {
      current = lexer.next(into: &diagnostics)
    }
  }

  private mutating func peek() -> Token {
    if let next = lookahead { return next }
    let next = lexer.next(into: &diagnostics)
    lookahead = next
    return next
  }

  private mutating func accept(_ kind: Token.Kind) -> Bool {
    guard current.kind == kind else { return false }
    advance()
    return true
  }

  /// `accept` outside parentheses, where a line break before the token ends
  /// the statement instead.
  private mutating func acceptOnSameLine(_ kind: Token.Kind) -> Bool {
    guard !current.newlineBefore || parenDepth > 0 else { return false }
    return accept(kind)
  }

  private func binaryOperator(_ token: Token) -> BinaryOperator? {
    switch token.kind {
    case .plus: .add
    case .minus: .subtract
    case .star: .multiply
    case .slash: .divide
    case .caret: .power
    default: nil
    }
  }

  private mutating func enterNesting() -> Bool {
    guard !panicking else { return false }
    guard depth < Self.nestingLimit else {
      report(.nestingTooDeep(limit: Self.nestingLimit), at: current.range)
      return false
    }
    depth += 1
    return true
  }

  private mutating func add(_ kind: Expression.Kind, _ range: SourceRange) -> ExpressionID {
    tree.expressions.append(Expression(kind: kind, range: range))
    return ExpressionID(index: tree.expressions.count - 1)
  }

  private mutating func errorNode(at range: SourceRange) -> ExpressionID {
    add(.error, range)
  }

  /// The value of a digits-only literal (an extent or a constant subscript),
  /// compared without overflow: too large to hold is `Int.max`. Nil for a
  /// literal with a point or an exponent.
  private func wholeNumber(_ range: SourceRange) -> Int? {
    let bytes = file.bytes[range.start..<range.end]
    guard bytes.allSatisfy(Lexer.isDigit) else { return nil }
    var value = 0
    for digit in bytes {
      let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (plus, overflow2) = times.addingReportingOverflow(Int(digit - 0x30))
      if overflow1 || overflow2 { return Int.max }
      value = plus
    }
    return value
  }

  /// The value of a number literal; one too large for a Double is an error.
  private mutating func numberValue(_ range: SourceRange) -> Double? {
    guard let value = Double(file.text(range)), value.isFinite else {
      report(.numberOutOfRange(file.text(range)), at: range)
      return nil
    }
    return value
  }

  /// Where the last reported error starts: resynchronising must move past it.
  private var lastErrorStart = -1

  /// Reports an error unless one was already reported in this statement.
  private mutating func report(_ message: DiagnosticMessage, at range: SourceRange) {
    guard !panicking else { return }
    panicking = true
    lastErrorStart = range.start
    diagnostics.error(message, at: range)
  }

  /// Where an error about a token points: the token, or, for the end of the
  /// file, the end of the last token (not past the comments that follow it).
  private func place(of token: Token) -> SourceRange {
    token.kind == .endOfFile ? SourceRange(previousEnd, previousEnd) : token.range
  }

  /// A token as messages show it: its text for names and numbers, else its kind.
  private func describe(_ token: Token) -> String {
    switch token.kind {
    case .identifier, .number:
      let text = file.text(
        SourceRange(token.range.start, min(token.range.end, token.range.start + 40)))
      return "'\(text)'"
    case .endOfFile:
      return "end of file"
    default:
      return token.kind.spelling
    }
  }
}
