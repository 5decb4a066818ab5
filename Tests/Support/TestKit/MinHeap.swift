/// A binary min-heap, the event queue of the deterministic simulations. Equal elements leave in an order fixed by
/// the pushes alone, so a seed replays exactly (the simulations also put a sequence number in their events).
public struct MinHeap<Element: Comparable> {
  @usableFromInline var items: [Element] = []

  public init() {}

  public var count: Int { items.count }
  public var isEmpty: Bool { items.isEmpty }

  @inlinable public mutating func push(_ e: Element) {
    items.append(e)
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard items[i] < items[parent] else { break }
      items.swapAt(i, parent)
      i = parent
    }
  }

  @inlinable public mutating func pop() -> Element? {
    guard !items.isEmpty else { return nil }
    items.swapAt(0, items.count - 1)
    let top = items.removeLast()
    var i = 0
    while true {
      let l = 2 * i + 1
      let r = l + 1
      var m = i
      if l < items.count && items[l] < items[m] { m = l }
      if r < items.count && items[r] < items[m] { m = r }
      if m == i { break }
      items.swapAt(i, m)
      i = m
    }
    return top
  }
}
