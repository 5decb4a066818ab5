// swift-tools-version: 6.2
import PackageDescription

// Vigil: a high-availability cluster resource manager in the Pacemaker + Corosync + pcs family.
// Layout: Sources/ holds the product modules and thin mains, Benchmarks/ the bench-* executables, Tests/Support/ the
// test kits (node processes, simulators, harnesses). Libraries hold the logic; each executable only parses arguments
// and wires libraries together.
let package = Package(
  name: "Vigil",
  platforms: [.macOS(.v13)],  // needed for AsyncParsableCommand roots, even on Linux
  products: [
    .executable(name: "pcs", targets: ["pcs"]),
    .executable(name: "cibadmin", targets: ["cibadmin"]),
    .executable(name: "crm_simulate", targets: ["crm_simulate"]),
    .executable(name: "crm_verify", targets: ["crm_verify"]),
    .executable(name: "clusterd", targets: ["clusterd"]),
    .executable(name: "vigil-arbiter", targets: ["vigil-arbiter"]),
    .executable(name: "attrd_updater", targets: ["attrd_updater"]),
    .executable(name: "crm_attribute", targets: ["crm_attribute"]),
    .executable(name: "crm_node", targets: ["crm_node"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
  ],
  targets: [
    // MARK: C libraries (Sources/System)

    // libxml2 through pkg-config; only the CIB module may import it.
    .systemLibrary(
      name: "CLibXML2", path: "Sources/System/CLibXML2", pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"])]),
    // corosync's client libraries (CPG, quorum, votequorum, cmap); only MembershipCorosync may import them, so only
    // clusterd links them.
    .systemLibrary(
      name: "CCorosync", path: "Sources/System/CCorosync",
      providers: [.apt(["libcpg-dev", "libquorum-dev", "libvotequorum-dev", "libcmap-dev"])]),

    // The one whole-file reader and atomic (fsync'd, renamed) writer of every module.
    .target(name: "Files", path: "Sources/System/Files"),
    // The one runner of short-lived programs (pcs's ssh and systemctl calls, benchmarks): swift-subprocess with a
    // deadline and bounded output on every run.
    .target(
      name: "Processes", dependencies: [.product(name: "Subprocess", package: "swift-subprocess")],
      path: "Sources/System/Processes"),
    // MARK: Product modules (Sources)

    // The Cluster Information Base: Pacemaker's XML, typed model, validation, versioning, diffs, storage.
    .target(
      name: "CIB",
      dependencies: [
        "CLibXML2", "Files",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "OrderedCollections", package: "swift-collections"),
      ]),
    // Membership, votequorum and ordered delivery: a pure core plus a UDP shell.
    .target(
      name: "Membership",
      dependencies: [
        "Arbiter", "Files", "Processes",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // The quorum arbiter (corosync-qnetd's role): the pure vote decisions for many clusters and the signed wire.
    .target(name: "Arbiter", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
    // The same membership interface over a local corosync 3 (CPG, votequorum, cmap).
    .target(name: "MembershipCorosync", dependencies: ["CCorosync", "Membership"]),
    // The scheduler: pure, CIB values in, transition graph out. Must not import CLibXML2.
    .target(
      name: "PolicyEngine",
      dependencies: [
        "CIB", .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "OrderedCollections", package: "swift-collections"),
      ]),
    // The local resource manager: real agents in real child processes.
    .target(
      name: "LRM",
      dependencies: [
        "CIB", "Files",
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // The pure controller: DC election, transition execution, recovery, the failover timeline and the messages
    // nodes exchange. No I/O: inputs in, effects out.
    .target(name: "Controller", dependencies: ["CIB", "PolicyEngine", "LRM", "Membership", "ControlProtocol"]),
    // What local tools ask their node's clusterd and what it answers (requests, responses, the failover timeline),
    // the frames that carry them and the blocking client: all that pcs, cibadmin and crm_verify need of clusterd.
    .target(name: "ControlProtocol", dependencies: ["Membership"]),
    // clusterd's shell: sockets, files, timers and services around the pure controller.
    .target(
      name: "Daemon",
      dependencies: [
        "CIB", "PolicyEngine", "LRM", "Membership", "MembershipCorosync", "Controller", "ControlProtocol", "Files",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]),

    // MARK: Executables (Sources/pcs, Sources/Tools)

    .executableTarget(
      name: "pcs",
      dependencies: [
        "CIB", "PolicyEngine", "LRM", "Membership", "Controller", "ControlProtocol", "Files", "Processes",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "cibadmin",
      dependencies: ["CIB", "ControlProtocol", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "Sources/Tools/cibadmin"),
    .executableTarget(
      name: "crm_simulate",
      dependencies: [
        "CIB", "Files", "PolicyEngine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/Tools/crm_simulate",
      // Static Swift runtime and Foundation: no dynamic symbol binding at start-up (a third of an 8x200 run).
      linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lCoreFoundation",
                                      "-lFoundationEssentials", "-lFoundationInternationalization", "-l_FoundationICU",
                                      "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization", "-lswiftDispatch",
                                      "-ldispatch", "-lBlocksRuntime", "-Xlinker", "--end-group"])]),
    .executableTarget(
      name: "crm_verify",
      dependencies: [
        "CIB", "ControlProtocol", "PolicyEngine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/Tools/crm_verify"),
    // attrd_updater, crm_attribute and crm_node: their options, output and exit codes (the executables only print).
    .target(
      name: "AttributeTools", dependencies: ["CIB", "PolicyEngine", "ControlProtocol"],
      path: "Sources/Tools/AttributeTools"),
    .executableTarget(name: "attrd_updater", dependencies: ["AttributeTools", "ControlProtocol"], path: "Sources/Tools/attrd_updater"),
    .executableTarget(name: "crm_attribute", dependencies: ["AttributeTools", "ControlProtocol"], path: "Sources/Tools/crm_attribute"),
    .executableTarget(name: "crm_node", dependencies: ["AttributeTools", "ControlProtocol"], path: "Sources/Tools/crm_node"),
    // The arbiter daemon: a TCP server around ArbiterCore, one process for many clusters.
    .executableTarget(
      name: "vigil-arbiter",
      dependencies: [
        "Arbiter", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
      ],
      path: "Sources/Tools/vigil-arbiter"),
    .executableTarget(
      name: "clusterd",
      dependencies: [
        "Daemon", "ControlProtocol",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Sources/Tools/clusterd"),

    // MARK: Benchmarks (Benchmarks/<name>): key=value lines, release builds, run by `make bench-*`

    // Parse/serialize time and peak memory of the CIB module.
    .executableTarget(name: "bench-cib", dependencies: ["CIB", "Processes"], path: "Benchmarks/bench-cib"),
    // Decode/encode/validate time of the typed CIB model.
    .executableTarget(name: "bench-model", dependencies: ["CIB"], path: "Benchmarks/bench-model"),
    .executableTarget(
      name: "bench-lrm", dependencies: ["LRM", .product(name: "Logging", package: "swift-log")],
      path: "Benchmarks/bench-lrm"),
    .executableTarget(
      name: "bench-membership", dependencies: ["Membership", "MembershipNodeKit"],
      path: "Benchmarks/bench-membership"),
    .executableTarget(
      name: "bench-membership-corosync", dependencies: ["CorosyncHarness", "MembershipCorosync", "MembershipNodeKit"],
      path: "Benchmarks/bench-membership-corosync"),

    // MARK: Test kits (Tests/Support/<name>)

    // What every test target may share: the seeded generator of simulations and randomized tests, and a runner for
    // the package's own tools (with a deadline).
    .target(name: "TestKit", path: "Tests/Support/TestKit"),

    // What both membership node processes, both benchmarks and the tests share: the line protocol, the order digest,
    // percentiles, a child process with line pipes and the loopback cluster writer.
    .target(name: "MembershipNodeKit", dependencies: ["Files", "Membership", "TestKit"], path: "Tests/Support/MembershipNodeKit"),
    // A membership node process over the native UDP shell, driven by tests and bench-membership.
    .executableTarget(
      name: "membership-node",
      dependencies: [
        "Membership", "MembershipNodeKit", .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ],
      path: "Tests/Support/membership-node"),
    // The same node process over corosync.
    .executableTarget(
      name: "membership-corosync-node", dependencies: ["MembershipCorosync", "MembershipNodeKit"],
      path: "Tests/Support/membership-corosync-node"),
    // Membership's deterministic simulator: seeded faults, simulated time, the invariants checked after each step.
    .target(name: "MembershipSimulation", dependencies: ["Membership", "TestKit"], path: "Tests/Support/MembershipSimulation"),
    // Runs the simulator over many seeds (`make simulate`).
    .executableTarget(
      name: "membership-sim", dependencies: ["Membership", "MembershipSimulation", "TestKit"], path: "Tests/Support/membership-sim"),
    // Clusters of real corosync daemons in network namespaces.
    .target(
      name: "CorosyncHarness", dependencies: ["Membership", "MembershipNodeKit"], path: "Tests/Support/CorosyncHarness"),

    // MARK: Tests

    .testTarget(
      name: "CIBTests",
      dependencies: ["CIB", "TestKit", .product(name: "PropertyBased", package: "swift-property-based")]),
    .testTarget(
      name: "MembershipTests",
      dependencies: [
        "Files", "Membership", "MembershipNodeKit", "MembershipSimulation", "TestKit",
        .product(name: "PropertyBased", package: "swift-property-based")]),
    .testTarget(name: "PolicyEngineTests", dependencies: ["PolicyEngine", "CIB", "TestKit"], exclude: ["Fixtures"]),
    .testTarget(name: "LRMTests", dependencies: ["LRM", "CIB", "TestKit"], exclude: ["Agents"]),
    .testTarget(name: "ProcessesTests", dependencies: ["Processes"]),
    .testTarget(name: "PCSTests", dependencies: ["CIB", "TestKit"], exclude: ["Fixtures"]),
    .testTarget(
      name: "ControllerTests",
      dependencies: ["Controller", "ControlProtocol", "PolicyEngine", "CIB", "LRM", "Membership", "TestKit"]),
    .testTarget(name: "ArbiterTests", dependencies: ["Arbiter"]),
    .testTarget(name: "AttributeToolsTests", dependencies: ["AttributeTools", "ControlProtocol", "CIB"]),
    .testTarget(name: "ControlProtocolTests", dependencies: ["ControlProtocol", "Membership"]),
    .testTarget(
      name: "CorosyncTests", dependencies: ["MembershipCorosync", "CorosyncHarness", "MembershipNodeKit", "Membership"]),
    // Real clusterd processes over real sockets.
    .testTarget(name: "ClusterdTests", dependencies: ["Daemon", "CIB", "TestKit"]),
    // The watchdog stand-in for tests and chaos runs: a FIFO device whose expiry does what a reboot does.
    .executableTarget(name: "vigil-watchdog", path: "Tests/Support/vigil-watchdog"),

    // The whole-cluster deterministic simulation: membership cores, the daemon's node core around ControllerCore,
    // a simulated LRM, disk, clock and network, faults and client writes from one seed. `make simulate-cluster`.
    .target(
      name: "ClusterSimulation",
      dependencies: ["Membership", "Controller", "ControlProtocol", "CIB", "PolicyEngine", "LRM", "TestKit"],
      path: "Tests/Support/ClusterSimulation"),
    .executableTarget(name: "cluster-sim", dependencies: ["ClusterSimulation", "TestKit"], path: "Tests/Support/cluster-sim"),
    .testTarget(name: "ClusterSimulationTests", dependencies: ["ClusterSimulation"]),
  ]
)
