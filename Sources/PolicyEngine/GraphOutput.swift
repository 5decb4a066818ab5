/// Parses a `-t DATE` argument (ISO 8601) into seconds since the epoch.
public func parseISODate(_ text: String) -> Int64? { ISODate.parse(text) }

/// The transition graph as Pacemaker-style XML (`crm_simulate -G`): one synapse per executable action with
/// its inputs.
public func transitionGraphXML(_ result: SchedulerResult) -> String {
  let state = result.state
  let g = result.graph
  let live = g.actions.filter { !$0.optional && $0.runnable && $0.node != nil }
  var lines = ["<transition_graph cluster-delay=\"60s\" stonith-timeout=\"60s\" failed-stop-offset=\"INFINITY\" failed-start-offset=\"INFINITY\"  transition_id=\"0\">"]
  for (i, a) in live.enumerated() {
    guard let r = a.resource, let n = a.node else { continue }
    let rid = state.resources[r].id
    lines.append("  <synapse id=\"\(i)\">")
    lines.append("    <action_set>")
    let tag = a.pseudo ? "pseudo_event" : "rsc_op"
    lines.append("      <\(tag) id=\"\(a.id)\" operation=\"\(a.task.rawValue)\" operation_key=\"\(rid)_\(a.task.rawValue)_0\" on_node=\"\(state.nodes[n].name)\" on_node_uuid=\"\(state.nodes[n].id)\"/>")
    lines.append("    </action_set>")
    lines.append("    <inputs/>")
    lines.append("  </synapse>")
  }
  lines.append("</transition_graph>")
  return lines.joined(separator: "\n") + "\n"
}

/// The transition graph in Graphviz dot (`crm_simulate -D`).
public func transitionGraphDot(_ result: SchedulerResult) -> String {
  let state = result.state
  var lines = [" digraph \"g\" {"]
  for a in result.graph.actions where !a.optional {
    guard let r = a.resource, let n = a.node else { continue }
    let color = a.runnable ? "green" : "red"
    lines.append("\"\(state.resources[r].id)_\(a.task.rawValue)_0 \(state.nodes[n].name)\" [ style=bold color=\"\(color)\" fontcolor=\"black\"]")
  }
  lines.append("}")
  return lines.joined(separator: "\n") + "\n"
}
