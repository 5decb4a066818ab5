import CIB
import Foundation
import LRM
import Logging
import PolicyEngine

/// The side effects of the controller that run agents other than resource operations: fencing (the LRM's
/// `Fencer`) and alerts (`AlertRunner`). Each runs in its own task; a fencing result comes back to the event loop
/// as `DaemonInput.fenced`, so the core records it in order with everything else.
///
/// Who raises what (as Pacemaker's controllers do, minus duplicates): the DC raises node alerts for views it
/// records and fencing alerts for the fencing it ran; each node raises resource alerts for the operations its
/// own LRM ran (a healthy recurring monitor is silent: the executor reports only changes).
final class EffectsHandler: Sendable {
  let fencer: Fencer
  let alerts: AlertRunner
  let localNode: String
  let logger: Logger
  let enqueue: @Sendable (DaemonInput) -> Void

  init(runner: AgentRunner, localNode: String, logger: Logger, enqueue: @escaping @Sendable (DaemonInput) -> Void) {
    self.fencer = Fencer(runner: runner)
    self.alerts = AlertRunner(runner: runner)
    self.localNode = localNode
    self.logger = logger
    self.enqueue = enqueue
  }

  /// Fences `node` with the stonith devices and levels of `cib`, then reports success or failure to the loop.
  func fence(node: String, action: String, cib: CIBElement) {
    let configuration = CIBConfiguration(decoding: cib.firstElement(named: "configuration") ?? CIBElement("configuration"))
    let fencing: FencingConfiguration
    do { fencing = try FencingConfiguration(configuration) } catch {
      logger.error("cannot fence \(node): \(error)")
      enqueue(.fenced(node: node, success: false))
      return
    }
    let alertDefinitions = definitions(configuration)
    var priorityDelay = Duration.zero
    if fencing.priorityFencingDelay > .zero, let input = try? CIBReader.read(cib, now: Int64(Date().timeIntervalSince1970)) {
      priorityDelay = PolicyEngine.priorityFencingDelay(interpretStatus(input), target: node, delay: fencing.priorityFencingDelay)
    }
    let fraction = Double.random(in: 0..<1)
    let (fencer, alerts, logger, enqueue, me) = (self.fencer, self.alerts, self.logger, self.enqueue, localNode)
    Task {
      let result = await fencer.fence(
        node, action: FenceAction(rawValue: action), configuration: fencing, priorityDelay: priorityDelay,
        delayFraction: fraction)
      if result.delay > .zero { logger.notice("fencing \(node) waited \(result.delay) first (fencing delays)") }
      if result.succeeded { logger.notice("fenced \(node): \(result.summary)") } else { logger.error("fencing \(node) failed: \(result.summary)") }
      enqueue(.fenced(node: node, success: result.succeeded))
      if !alertDefinitions.isEmpty {
        _ = await alerts.send(AlertEvent.fencing(result, executor: me, origin: me), alerts: alertDefinitions)
      }
    }
  }

  /// A node alert (state "member" or "lost"), raised by the DC.
  func alertNode(name: String, id: UInt32, state: String, cib: CIBElement) {
    send(.node(name: name, id: String(id), state: state), cib: cib)
  }

  /// A resource alert for an operation this node's LRM ran.
  func alertResource(_ alert: ResourceOperationAlert, cib: CIBElement) {
    send(.resource(alert), cib: cib)
  }

  func send(_ event: AlertEvent, cib: CIBElement) {
    // Most CIBs configure no alert: decoding the whole configuration for every operation result (each one raises a
    // resource alert) cost the DC of a 300-primitive cluster a sixth of its CPU, and its loop fell behind.
    guard let conf = cib.firstElement(named: "configuration"),
          conf.firstElement(named: "alerts")?.firstElement(named: "alert") != nil else { return }
    let configuration = CIBConfiguration(decoding: conf)
    let defs = definitions(configuration)
    guard !defs.isEmpty else { return }
    let alerts = self.alerts
    let logger = self.logger
    Task {
      for r in await alerts.send(event, alerts: defs) where !r.succeeded {
        logger.warning("alert \(r.alertID) failed: \(r.status) rc=\(r.rc.map(String.init) ?? "none")")
      }
    }
  }

  func definitions(_ configuration: CIBConfiguration) -> [AlertDefinition] {
    do { return try AlertDefinition.all(in: configuration) } catch {
      logger.error("alerts not run: \(error)")
      return []
    }
  }
}
