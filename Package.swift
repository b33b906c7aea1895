// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

/// How `supervise` is linked, for a smaller idle daemon (docs/benchmark.md#memory): with the toolchain's lld and its
/// relative relocations packed (DT_RELR, glibc 2.36 and later), where gold's PIE carries 2.3 MiB of them that every
/// start reads; and without exporting the daemon's own 20,000 symbols, which every symbol lookup of the shared
/// libraries it loads searches first. The binary stays position-independent.
let daemonLinkerFlags = ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                         "-Xlinker", "--no-export-dynamic"]

let package = Package(
    name: "supervise",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "supervise", targets: ["supervise"]),
        .executable(name: "agent-sim", targets: ["agent-sim"]),
        // For the benchmarks package (Benchmarks/Package.swift) only, which may use another package's products but
        // not its targets: exactly the modules supervise-bench and its anchors import, one product each so that a
        // target there builds only what it needs. Not an API: nothing outside this repository should depend on them.
        .library(name: "SuperviseCore", targets: ["SuperviseCore"]),
        .library(name: "SuperviseControl", targets: ["SuperviseControl"]),
        .library(name: "SuperviseProbes", targets: ["SuperviseProbes"]),
        .library(name: "SuperviseMetrics", targets: ["SuperviseMetrics"]),
        .library(name: "SuperviseHTTPClient", targets: ["SuperviseHTTPClient"]),
        .library(name: "AgentSimClient", targets: ["AgentSimClient"]),
        .library(name: "AgentSimQueue", targets: ["AgentSimQueue"]),
        // The bare-libcurl anchor (Benchmarks/Sources/CProbeFloor) calls libcurl through the daemon's own dlopen shim,
        // as the probe engine does, so the anchor and the engine load the same libcurl the same way.
        .library(name: "CCurl", targets: ["CCurl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),  // 1.6: @ParentCommand
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries. libcurl (libcurl4-openssl-dev for its headers) is loaded with dlopen on first
        // use, so a daemon without probes does not carry it; typed shims wrap the variadic calls.
        .target(name: "CCurl", dependencies: ["CSuperviseSys"], linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // hiredis (Redis's own C client, libhiredis-dev) for reading queue lengths; its blocking calls run on a thread
        // of their own. No pkgConfig: hiredis.pc's cflags carry -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a
        // warning at every build planning; the module map includes <hiredis/hiredis.h> and links hiredis itself.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // fork/exec with process groups, credentials and a clean signal state; peer credentials.
        .target(name: "CSuperviseSys"),

        // The version (VERSION) and git commit of the build, written before every build by a prebuild command
        // (scripts/build-info.sh), so that `supervise version` and supervise_build_info name them on a fresh clone too.
        .plugin(name: "SuperviseBuildInfoPlugin", capability: .buildTool()),
        .target(name: "SuperviseBuildInfo", swiftSettings: strict, plugins: ["SuperviseBuildInfoPlugin"]),

        // Named threads of the daemon's own, and a thread that is also a task executor.
        .target(name: "SuperviseThreads", dependencies: ["CSuperviseSys"], swiftSettings: strict),

        // Functional core: no I/O, injected clock and randomness.
        .target(name: "SuperviseCore", swiftSettings: strict),
        // YAML -> core model, with file:line:column errors.
        .target(name: "SuperviseConfig", dependencies: ["SuperviseCore", "Yams"], swiftSettings: strict),
        // `supervise export kubernetes`: a configuration and its Compose files -> Kubernetes manifests (no I/O but
        // reading the files it is given).
        .target(name: "SuperviseExport", dependencies: ["SuperviseCore", "SuperviseConfig", "Yams"], swiftSettings: strict),

        // Imperative shell: adapters.
        .target(name: "SuperviseProcess", dependencies: ["SuperviseCore", "CSuperviseSys", "SuperviseThreads"], swiftSettings: strict),
        .target(name: "SuperviseSystemd", dependencies: ["CSystemd"], swiftSettings: strict),
        // Health probes: HTTP/TCP on one libcurl multi handle driven by one thread; exec through the spawner.
        .target(name: "SuperviseProbes", dependencies: ["SuperviseCore", "SuperviseProcess", "SuperviseCurl", "CCurl", "SuperviseThreads"], swiftSettings: strict),
        // Docker Engine API over its unix socket: libcurl multi on one dedicated thread, async calls.
        .target(name: "SuperviseDocker", dependencies: ["SuperviseCurl", "CCurl"], swiftSettings: strict),
        // Webhook notifications: a bounded queue per webhook, deliveries by libcurl multi on one dedicated thread.
        .target(name: "SuperviseNotify", dependencies: ["SuperviseCore", "SuperviseCurl", "CCurl", "CSuperviseSys", "SuperviseThreads"],
                swiftSettings: strict),
        // What both libcurl threads share: global init, the command mailbox, an easy handle with its buffers.
        .target(name: "SuperviseCurl", dependencies: ["CCurl"], swiftSettings: strict),
        // Prometheus metrics: swift-metrics objects over a swift-prometheus registry, with HELP for every family.
        .target(name: "SuperviseMetrics", dependencies: [
            "SuperviseCore", "SuperviseBuildInfo",
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),
        // Redis queue depth: LLEN of the lists in `queues:` through hiredis, on one dedicated thread.
        .target(name: "SuperviseQueues", dependencies: ["SuperviseCore", "CHiredis", "CSuperviseSys", "SuperviseThreads"], swiftSettings: strict),
        // The one HTTP/1.1 client of the CLI, the tests and the benchmarks: a unix socket or 127.0.0.1 (also in another
        // process's network namespace), blocking, one exchange per connection.
        .target(name: "SuperviseHTTPClient", dependencies: ["CSuperviseSys"], swiftSettings: strict),
        .target(name: "SuperviseControl", dependencies: [
            "SuperviseCore", "CSuperviseSys", "SuperviseHTTPClient", "SuperviseBuildInfo",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: strict),
        .target(name: "SuperviseDaemon", dependencies: [
            "SuperviseCore", "SuperviseConfig", "SuperviseProcess", "SuperviseSystemd", "SuperviseControl", "SuperviseProbes",
            "SuperviseDocker", "SuperviseMetrics", "SuperviseQueues", "SuperviseNotify", "SuperviseThreads",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),

        .executableTarget(name: "supervise", dependencies: [
            "SuperviseDaemon", "SuperviseControl", "SuperviseConfig", "SuperviseCore", "SuperviseHTTPClient", "SuperviseBuildInfo",
            "SuperviseExport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict, linkerSettings: [.unsafeFlags(daemonLinkerFlags)]),
        .executableTarget(name: "agent-sim", dependencies: [
            "AgentSimQueue",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: strict),
        // Placing calls on agent-sim workers from tests and benchmarks (the HTTP exchange is the caller's).
        .target(name: "AgentSimClient", swiftSettings: strict),
        // agent-sim's call queue: jobs on a Redis list, taken with BLPOP and queued with RPUSH through hiredis (blocking:
        // on threads of their own). No Foundation, so agent-sim starts as fast as without it.
        .target(name: "AgentSimQueue", dependencies: ["CHiredis"], swiftSettings: strict),

        .testTarget(name: "SuperviseCoreTests", dependencies: ["SuperviseCore"], swiftSettings: strict),
        // Every `supervise` command line in runbooks/ parses with the real CLI parser.
        .testTarget(name: "RunbookTests", dependencies: ["supervise"], swiftSettings: strict),
        // The supervision loop in-process: the real core, the real service group, doubles for the adapters.
        .testTarget(name: "SuperviseDaemonTests", dependencies: [
            "SuperviseDaemon", "SuperviseCore", "SuperviseConfig", "SuperviseControl", "SuperviseProbes", "SuperviseProcess",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        // The notifier's pure parts: its queue, URL redaction, headers files, recoveries, backoff.
        .testTarget(name: "SuperviseNotifyTests", dependencies: ["SuperviseNotify", "SuperviseCore"], swiftSettings: strict),
        .testTarget(name: "SuperviseConfigTests", dependencies: ["SuperviseConfig", "SuperviseCore"], swiftSettings: strict),
        // The export's mapping, its golden example (examples/kubernetes/), and its output checked by kubernetes-validate
        // and against KEDA's ScaledObject schema (scripts/setup.sh installs the validators).
        .testTarget(name: "SuperviseExportTests", dependencies: ["SuperviseExport", "SuperviseConfig", "SuperviseCore"],
                    exclude: ["Resources"], swiftSettings: strict),
        // Against a private dockerd started by the tests (scripts/systemd-testbed/start-dockerd.sh).
        .testTarget(name: "DockerTests", dependencies: ["SuperviseDocker", "CSuperviseSys", "AgentSimClient", "SuperviseHTTPClient"],
                    swiftSettings: strict),
        // A seccomp filter that refuses one system call, for tests of the fallbacks older kernels take. Tests only.
        .target(name: "CTestSeccomp", path: "Tests/CTestSeccomp"),
        .testTarget(name: "IntegrationTests", dependencies: [
            "SuperviseControl", "SuperviseCore", "SuperviseSystemd", "CSystemd", "CCurl", "SuperviseProbes", "SuperviseProcess",
            "AgentSimClient", "SuperviseQueues", "SuperviseNotify", "CTestSeccomp", "AgentSimQueue",
            "SuperviseHTTPClient", "SuperviseBuildInfo",
        ], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
