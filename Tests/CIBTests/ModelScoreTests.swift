import PropertyBased
import Testing

@testable import CIB

/// A dumb reference for Pacemaker's score addition, written from the documented rules rather than
/// from `Score`'s code: three-valued (minus infinity, finite, plus infinity), with -INFINITY first.
private enum ReferenceScore: Equatable {
  case minusInfinity, finite(Int), infinity

  init(_ raw: Int) {
    if raw >= 1_000_000 { self = .infinity } else if raw <= -1_000_000 { self = .minusInfinity } else {
      self = .finite(raw)
    }
  }

  static func + (a: ReferenceScore, b: ReferenceScore) -> ReferenceScore {
    switch (a, b) {
    case (.minusInfinity, _), (_, .minusInfinity): return .minusInfinity
    case (.infinity, _), (_, .infinity): return .infinity
    case (.finite(let x), .finite(let y)): return ReferenceScore(x + y)
    }
  }

  var asInt: Int {
    switch self {
    case .minusInfinity: -1_000_000
    case .infinity: 1_000_000
    case .finite(let x): x
    }
  }
}

private let edgeScores = [
  -1_000_001, -1_000_000, -999_999, -1, 0, 1, 999_999, 1_000_000, 1_000_001, Int.max, Int.min,
]

/// Raw integers biased towards the edges, where saturation bugs live.
private let rawScores = Gen.oneOf(
  Gen.int(in: -3_000_000...3_000_000).eraseToAny(),
  Gen.int(in: -1_000...1_000).eraseToAny(),
  Gen.int(in: 0...(edgeScores.count - 1)).map { edgeScores[$0] }.eraseToAny())

@Test func scoreAdditionMatchesReference() async {
  await propertyCheck(count: 2000, input: rawScores, rawScores) { a, b in
    let got = Score(clamping: a) + Score(clamping: b)
    let want = ReferenceScore(a) + ReferenceScore(b)
    #expect(got.value == want.asInt, "\(a) + \(b)")
  }
}

@Test func scoreAdditionIsCommutativeAndZeroIsNeutral() async {
  await propertyCheck(count: 1000, input: rawScores, rawScores) { a, b in
    let x = Score(clamping: a)
    let y = Score(clamping: b)
    #expect(x + y == y + x)
    #expect(x + .zero == x)
  }
}

@Test func scoreClampingStaysInRange() async {
  await propertyCheck(count: 1000, input: rawScores) { a in
    let s = Score(clamping: a)
    #expect(s.value >= -1_000_000 && s.value <= 1_000_000)
    #expect(s.value == min(max(a, -1_000_000), 1_000_000))
  }
}

@Test func scoreDescriptionRoundTripsThroughParsing() async {
  await propertyCheck(count: 1000, input: rawScores) { a in
    let s = Score(clamping: a)
    #expect(Score(parsing: s.description) == s)
  }
}

@Test func minusInfinityWinsOverInfinity() {
  #expect(Score.minusInfinity + .infinity == .minusInfinity)
  #expect(Score.infinity + .minusInfinity == .minusInfinity)
  #expect(Score.infinity + Score(clamping: -999_999) == .infinity)
  #expect(Score(clamping: 600_000) + Score(clamping: 600_000) == .infinity)
  #expect(Score(clamping: -600_000) + Score(clamping: -600_000) == .minusInfinity)
  #expect(-Score.infinity == .minusInfinity)
  #expect(-Score(clamping: 5) == Score(clamping: -5))
  #expect(Score.minusInfinity < .zero && Score.zero < .infinity)
}

@Test(arguments: [
  ("INFINITY", 1_000_000), ("+INFINITY", 1_000_000), ("-INFINITY", -1_000_000),
  ("0", 0), ("100", 100), ("-100", -100), ("+42", 42), ("2000000", 1_000_000),
  ("-99999999999999999999999", -1_000_000), (" 7 ", 7), ("RED", 0), ("green", 0),
])
func scoreParsesWhatPacemakerAccepts(text: String, value: Int) throws {
  #expect(Score(parsing: text)?.value == value)
  #expect(try Score(validating: text).value == value)
}

@Test(arguments: ["", "abc", "inf", "+inf", "infinity", "-infinity", "Infinity", "10abc", "1.5", "--1"])
func scoreRejectsWhatPacemakerOnlyWarnsAbout(text: String) {
  #expect(Score(parsing: text) == nil)
  #expect(throws: ScoreParseError.self) { try Score(validating: text) }
}

@Test func lenientScoreReadsLikeChar2score() {
  // char2score: case-sensitive infinity names, garbage is 0, an integer prefix counts.
  #expect(Score(lenient: "infinity") == .zero)
  #expect(Score(lenient: "10abc") == Score(clamping: 10))
  #expect(Score(lenient: nil) == .zero)
  #expect(Score(lenient: "-INFINITY") == .minusInfinity)
  let health = Score.HealthScores(red: .minusInfinity, yellow: Score(clamping: -10), green: .zero)
  #expect(Score(lenient: "Red", health: health) == .minusInfinity)
  #expect(Score(parsing: "yellow", health: health) == Score(clamping: -10))
}

@Test func scoreDescriptionIsPacemakers() {
  #expect(Score.infinity.description == "INFINITY")
  #expect(Score.minusInfinity.description == "-INFINITY")
  #expect(Score(clamping: -35).description == "-35")
  #expect(Score(clamping: 5_000_000).description == "INFINITY")
}
