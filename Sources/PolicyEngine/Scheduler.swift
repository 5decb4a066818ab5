/// The whole scheduler as one readable pipeline of pure stages (house style rule 4):
///
///     interpretStatus(input) -> ClusterState      (node states, resource roles from history, fail counts)
///       computeScores        -> NodeScores        (location, stickiness, failure bans)
///       assign               -> Assignment        (primitives, groups, clones, promotion; colocations)
///       scheduleActions      -> TransitionGraph   (actions, implied and configured orderings, flags)
///       transitionSummary / revisedSnapshot       (what crm_simulate prints)
///
/// Each stage is a function of the previous stage's value; nothing is shared or mutated across stages.
public struct SchedulerResult: Sendable {
  public var state: ClusterState
  public var scores: NodeScores
  public var assignment: Assignment
  public var graph: TransitionGraph

  public var summaryLines: [String] { transitionSummary(state, assignment, graph) }
  public var revised: ClusterSnapshot { revisedSnapshot(state, assignment, graph) }
}

public func schedule(_ input: SchedulerInput) -> SchedulerResult {
  let state = interpretStatus(input)
  let scores = computeScores(state)
  let assignment = assign(state, scores)
  let graph = scheduleActions(state, assignment)
  return SchedulerResult(state: state, scores: scores, assignment: assignment, graph: graph)
}

/// crm_simulate's `-S` text: current status, transition summary, executed actions, revised status.
public func simulationText(_ result: SchedulerResult, showScores: Bool = false, showCurrent: Bool = true) -> String {
  var lines: [String] = []
  if showCurrent {
    lines.append("Current cluster status:")
    lines += formatStatus(result.state, currentSnapshot(result.state))
    lines.append("")
  }
  if showScores {
    lines += scoreText(result)
    lines.append("")
  }
  lines.append("Transition Summary:")
  lines += result.summaryLines.map { "  * " + $0 }
  lines.append("")
  lines.append("Executing Cluster Transition:")
  lines += executedActions(result.state, result.graph)
  lines.append("")
  lines.append("Revised Cluster Status:")
  lines += formatStatus(result.state, result.revised)
  return lines.joined(separator: "\n") + "\n"
}

/// Allocation and promotion scores in the `.scores` layout, sorted as the corpus stores them.
public func scoreText(_ result: SchedulerResult) -> [String] {
  (result.assignment.scoreLines + result.assignment.promotionLines).sorted()
}
