// swift-tools-version: 6.0
import PackageDescription

// The benchmarks, apart from the product (as swift-nio keeps Benchmarks/Package.swift): `swift build` of the
// repository's root package builds only `supervise` and `agent-sim`. This package takes the modules it measures from
// the root package by path, as the library products the root declares for it, and builds in Benchmarks/.build;
// `scripts/bench.sh` builds both packages and runs Benchmarks/.build/release/supervise-bench, which measures the
// root package's own release build (.build/release/supervise, .build/release/agent-sim; see ProductBinaries).

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "supervise-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "supervise-bench", targets: ["supervise-bench"]),
    ],
    dependencies: [
        // Named, so that the products below resolve whatever the checkout's directory is called (a path dependency's
        // identity is otherwise its directory's name).
        .package(name: "supervise", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),
    ],
    targets: [
        // Anchors for the probe benchmark: the same probe load from bare libcurl (through the daemon's libcurl shim,
        // CCurl, as the probe engine calls it) and bare sockets.
        .target(name: "CProbeFloor", dependencies: [.product(name: "CCurl", package: "supervise")]),
        // The respawn floor: kill -9, waitpid, posix_spawn in a bare C loop (supervise-bench containment).
        .target(name: "CRespawnFloor"),

        .executableTarget(name: "supervise-bench", dependencies: [
            "CProbeFloor", "CRespawnFloor",
            .product(name: "SuperviseCore", package: "supervise"),
            .product(name: "SuperviseControl", package: "supervise"),
            .product(name: "SuperviseProbes", package: "supervise"),
            .product(name: "SuperviseMetrics", package: "supervise"),
            .product(name: "SuperviseHTTPClient", package: "supervise"),
            .product(name: "AgentSimClient", package: "supervise"),
            .product(name: "AgentSimQueue", package: "supervise"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        // The probe anchors do the load they report, against real agent-sim servers (the root package's debug build).
        // Only CProbeFloor: building these tests does not build the benchmarks or the daemon's modules.
        .testTarget(name: "ProbeAnchorTests", dependencies: ["CProbeFloor"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
