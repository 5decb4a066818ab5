import Foundation

/// One failover incident as the controller saw it: what happened, and when each step of the recovery was reached.
///
/// Why it exists: the failover figure (detection -> new view -> transition -> fence or stop -> start) is the
/// product's promise; `pcs` shows it per incident so a slow step can be named. Times are monotonic ms of the
/// node that wrote them; `offsetMs` in renderings is relative to the incident's first event.
public struct Incident: Sendable, Equatable, Codable {
  public enum Kind: String, Sendable, Equatable, Codable {
    case nodeLost = "node-lost"
    case dcLost = "dc-lost"
    case resourceFailed = "resource-failed"
    case quorumLost = "quorum-lost"
  }
  public struct Event: Sendable, Equatable, Codable {
    /// last-heard, detected, new-view, transition-computed, fenced, lease-expired, stop-complete,
    /// start-complete, recovered.
    public var name: String
    public var atMs: Int64
    public var detail: String
  }
  public var id: Int
  public var kind: Kind
  /// The lost node, or the failed resource "rsc on node".
  public var subject: String
  /// The node that recorded the incident (the DC, or the node that lost quorum).
  public var recordedBy: String
  public var events: [Event] = []
  public var closed = false

  public init(id: Int, kind: Kind, subject: String, recordedBy: String, events: [Event] = [], closed: Bool = false) {
    self.id = id
    self.kind = kind
    self.subject = subject
    self.recordedBy = recordedBy
    self.events = events
    self.closed = closed
  }

  public var startMs: Int64 { events.map(\.atMs).min() ?? 0 }

  /// Milliseconds from the first event to the named one, if reached.
  public func offset(of name: String) -> Int64? {
    events.first { $0.name == name }.map { $0.atMs - startMs }
  }

  public mutating func add(_ name: String, _ atMs: Int64, _ detail: String = "") {
    events.append(Event(name: name, atMs: atMs, detail: detail))
  }
}

/// The incidents a controller remembers (bounded; oldest dropped first).
public struct FailoverTimeline: Sendable, Equatable, Codable {
  public var incidents: [Incident] = []
  public var nextID = 1

  public init() {}

  /// JSON for `pcs`-level tooling: `{"incidents":[{"id":1,"kind":"node-lost",...,"events":[...]}]}`, keys sorted.
  public func json() -> String {
    struct Out: Codable {
      struct Ev: Codable { var name: String; var atMs: Int64; var offsetMs: Int64; var detail: String }
      struct Inc: Codable {
        var id: Int; var kind: String; var subject: String; var recordedBy: String; var closed: Bool
        var events: [Ev]
      }
      var incidents: [Inc]
    }
    let out = Out(incidents: incidents.map { i in
      Out.Inc(id: i.id, kind: i.kind.rawValue, subject: i.subject, recordedBy: i.recordedBy, closed: i.closed,
              events: i.events.map { Out.Ev(name: $0.name, atMs: $0.atMs, offsetMs: $0.atMs - i.startMs, detail: $0.detail) })
    })
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted]
    return (try? String(decoding: enc.encode(out), as: UTF8.self)) ?? "{\"incidents\":[]}"
  }

  /// Text: one block per incident, one line per event with its offset.
  public func text() -> String {
    if incidents.isEmpty { return "No failover incidents recorded.\n" }
    var lines: [String] = []
    for i in incidents {
      lines.append("Incident \(i.id): \(i.kind.rawValue) \(i.subject) (recorded by \(i.recordedBy)\(i.closed ? "" : ", in progress"))")
      for e in i.events {
        let offset = "+\(e.atMs - i.startMs) ms"
        let pad = String(repeating: " ", count: max(1, 10 - offset.count))
        lines.append("  \(offset)\(pad)\(e.name)\(e.detail.isEmpty ? "" : ": " + e.detail)")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
