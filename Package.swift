// swift-tools-version: 6.2
import PackageDescription

// Vigil: a high-availability cluster resource manager in the Pacemaker + Corosync + pcs family.
// Libraries hold the logic; each executable only parses arguments and wires libraries together.
let package = Package(
  name: "Vigil",
  platforms: [.macOS(.v13)],  // needed for AsyncParsableCommand roots, even on Linux
  products: [
    .executable(name: "pcs", targets: ["pcs"]),
    .executable(name: "cibadmin", targets: ["cibadmin"]),
    .executable(name: "crm_simulate", targets: ["crm_simulate"]),
    .executable(name: "crm_verify", targets: ["crm_verify"]),
    .executable(name: "clusterd", targets: ["clusterd"]),
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
    // libxml2 through pkg-config; only the CIB module may import it.
    .systemLibrary(
      name: "CLibXML2", pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"])]),

    // The Cluster Information Base: Pacemaker's XML, typed model, validation, versioning, diffs, storage.
    .target(
      name: "CIB",
      dependencies: [
        "CLibXML2",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "OrderedCollections", package: "swift-collections"),
      ]),
    // Membership, votequorum and ordered delivery: a pure core plus a UDP shell.
    .target(
      name: "Membership",
      dependencies: [
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // The scheduler: pure, CIB values in, transition graph out. Must not import CLibXML2.
    .target(
      name: "PolicyEngine",
      dependencies: ["CIB", .product(name: "OrderedCollections", package: "swift-collections")]),
    // The local resource manager: real agents in real child processes.
    .target(
      name: "LRM",
      dependencies: [
        "CIB",
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // DC election, transition execution, recovery, fencing.
    .target(
      name: "Controller",
      dependencies: [
        "CIB", "PolicyEngine", "LRM", "Membership", "MembershipCorosync",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]),

    .executableTarget(
      name: "pcs",
      dependencies: [
        "CIB", "PolicyEngine", "LRM", "Membership", "Controller",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "cibadmin",
      dependencies: ["CIB", "Controller", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .executableTarget(
      name: "crm_simulate",
      dependencies: [
        "CIB", "PolicyEngine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      // Static Swift runtime and Foundation: no dynamic symbol binding at start-up (a third of an 8x200 run).
      linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lCoreFoundation",
                                      "-lFoundationEssentials", "-lFoundationInternationalization", "-l_FoundationICU",
                                      "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization", "-lswiftDispatch",
                                      "-ldispatch", "-lBlocksRuntime", "-Xlinker", "--end-group"])]),
    .executableTarget(
      name: "crm_verify",
      dependencies: [
        "CIB", "Controller", "PolicyEngine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "clusterd",
      dependencies: [
        "Controller",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // make bench-cib: parse/serialize time and peak memory of the CIB module (release build).
    .executableTarget(name: "bench-cib", dependencies: ["CIB"]),
    // make bench-model: decode/encode/validate time of the typed CIB model (release build).
    .executableTarget(name: "bench-model", dependencies: ["CIB"]),
    .executableTarget(name: "bench-lrm", dependencies: ["LRM", .product(name: "Logging", package: "swift-log")]),

    // Membership's deterministic simulator, a node process for loopback tests, and its benchmark.
    .executableTarget(name: "membership-sim", dependencies: ["Membership"]),
    .executableTarget(
      name: "membership-node",
      dependencies: [
        "Membership", "MembershipNodeKit", .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ]),
    .executableTarget(name: "bench-membership", dependencies: ["Membership", "MembershipNodeKit"]),
    // What both membership node processes and both benchmarks share (line protocol, order digest, percentiles).
    .target(name: "MembershipNodeKit", dependencies: ["Membership"]),

    .testTarget(
      name: "CIBTests",
      dependencies: ["CIB", .product(name: "PropertyBased", package: "swift-property-based")]),
    .testTarget(
      name: "MembershipTests",
      dependencies: ["Membership", .product(name: "PropertyBased", package: "swift-property-based")]),
    .testTarget(name: "PolicyEngineTests", dependencies: ["PolicyEngine", "CIB"], exclude: ["Fixtures"]),
    .testTarget(name: "LRMTests", dependencies: ["LRM", "CIB"], exclude: ["Agents"]),
    .testTarget(name: "PCSTests", dependencies: ["CIB"]),
    .testTarget(name: "ControllerTests", dependencies: ["Controller", "PolicyEngine", "CIB"]),

    // Membership over the local corosync daemon (issue 8): CPG + quorum + votequorum + cmap client libraries, a
    // node process and a namespace-cluster harness for its tests and `make bench-membership BACKEND=corosync`.
    .systemLibrary(
      name: "CCorosync", providers: [.apt(["libcpg-dev", "libquorum-dev", "libvotequorum-dev", "libcmap-dev"])]),
    .target(name: "MembershipCorosync", dependencies: ["CCorosync", "Membership"]),
    .target(name: "CorosyncHarness", dependencies: ["Membership"]),
    .executableTarget(name: "membership-corosync-node", dependencies: ["MembershipCorosync", "MembershipNodeKit"]),
    .executableTarget(
      name: "bench-membership-corosync", dependencies: ["CorosyncHarness", "MembershipCorosync", "MembershipNodeKit"]),
    .testTarget(name: "CorosyncTests", dependencies: ["MembershipCorosync", "CorosyncHarness", "Membership"]),
    // Real clusterd processes over real sockets (issue 7).
    .testTarget(name: "ClusterdTests", dependencies: ["Controller", "CIB"]),

    // The whole-cluster deterministic simulation (issue 13): membership cores, the daemon's node logic around
    // ControllerCore, a simulated LRM, disk, clock and network, faults and client writes from one seed.
    // `make simulate-cluster SEEDS=N`.
    .target(
      name: "ClusterSimulation", dependencies: ["Membership", "Controller", "CIB", "PolicyEngine"],
      path: "Tests/Support/ClusterSimulation"),
    .executableTarget(name: "cluster-sim", dependencies: ["ClusterSimulation"], path: "Tests/Support/cluster-sim"),
    .testTarget(name: "ClusterSimulationTests", dependencies: ["ClusterSimulation"]),
  ]
)
