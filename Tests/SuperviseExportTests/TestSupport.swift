import Foundation
import SuperviseConfig
import SuperviseCore
import SuperviseExport
import Testing

/// The repository's root.
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")

/// Exports `config` (the text of a supervise.yaml) with the Compose files `compose` (name, text), without any
/// environment variables.
func export(_ config: String, compose: [(String, String)], namespace: String? = nil, services: [String] = [],
            variables: [String: String] = [:]) throws -> KubernetesExportResult {
    let loaded = try ConfigLoader.parse(yaml: config, file: "supervise.yaml")
    let project = try ComposeReader.parse(compose.map { (file: $0.0, yaml: $0.1) }, variables: variables)
    return try KubernetesExport(config: loaded, configFile: "supervise.yaml", compose: project, namespace: namespace,
                                services: services).run()
}

/// One Compose file.
func export(_ config: String, compose: String, namespace: String? = nil, services: [String] = []) throws
    -> KubernetesExportResult {
    try export(config, compose: [("compose.yaml", compose)], namespace: namespace, services: services)
}

extension KubernetesExportResult {
    var deployments: [Deployment] {
        manifests.compactMap { if case .deployment(let d) = $0 { d } else { nil } }
    }
    var services: [ServiceObject] {
        manifests.compactMap { if case .service(let s) = $0 { s } else { nil } }
    }
    var budgets: [PodDisruptionBudget] {
        manifests.compactMap { if case .podDisruptionBudget(let p) = $0 { p } else { nil } }
    }
    var scaledObjects: [ScaledObject] {
        manifests.compactMap { if case .scaledObject(let o) = $0 { o } else { nil } }
    }
    /// The notices, one line each.
    var noticeLines: [String] { notices.map(\.description) }

    /// Whether a notice about `keyPath` contains `text`.
    func noted(_ keyPath: String, _ text: String) -> Bool {
        notices.contains { $0.place.keyPath == keyPath && $0.message.contains(text) }
    }
}

/// Runs `executable` with `arguments`; its standard output and error together, and its exit code.
func run(_ executable: String, _ arguments: [String], currentDirectory: URL? = nil) throws -> (code: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The validators' virtual environment, made by scripts/setup.sh.
enum Validators {
    static let environment = repository.appendingPathComponent(".build-tools/python/bin")
    static let kubernetesValidate = environment.appendingPathComponent("kubernetes-validate").path
    static let python = environment.appendingPathComponent("python").path
    static let missing = "the validators are missing: run scripts/setup.sh (it installs kubernetes-validate in "
        + ".build-tools/python)"

    static var installed: Bool { FileManager.default.isExecutableFile(atPath: kubernetesValidate) }
}

/// Writes `text` to a new temporary file and returns its path.
func temporaryFile(_ text: String, name: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("supervise-export-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let file = directory.appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file.path
}
