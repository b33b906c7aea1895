import Foundation

/// How to make a new replica of a Compose service from one of its containers, the way Compose makes one: the
/// `POST /containers/create` body built from the container's own `Config`, `HostConfig` and networks, and the
/// networks to connect before it starts. A pure function of two inspect answers, so it is unit-tested without a
/// daemon.
///
/// What is copied: the whole `Config` (command, entrypoint, environment, user, working directory, healthcheck, stop
/// signal and timeout, exposed ports, volumes, labels…) and `HostConfig` (binds and mounts, resources, restart
/// policy, capabilities, devices, log driver, network mode…), and every network the container is on with its
/// aliases and driver options. What is not:
/// - whatever the container got from its image rather than from its service (environment entries, labels, volumes,
///   command and entrypoint, working directory, user, healthcheck, exposed ports, stop signal equal to the image's):
///   Docker merges those in again from the new replica's image, so a replica with another image (a rollout) gets
///   that image's defaults, not the old image's;
/// - what belongs to the old container alone: its hostname when Docker chose it (the short id), its MAC address, its
///   static IP addresses (a second container cannot have them), its short id and name among the network aliases
///   (the new name is put in instead, as Compose v2 has it), endpoint ids and addresses;
/// - the labels `com.docker.compose.container-number` (set to the new number), `com.docker.compose.oneoff` (set to
///   `False`) and `com.docker.compose.replace` (dropped); `com.docker.compose.config-hash` is kept, and Compose
///   v2's `com.docker.compose.image` follows the new image.
///
/// An environment entry, label or other field that the service sets to exactly the image's own value is dropped
/// with the image's defaults; with the same image that changes nothing.
struct ReplicaBlueprint {
    /// The new container's name.
    var name: String
    /// The `POST /containers/create` body (JSON).
    var createBody: String
    /// Networks to connect after creating and before starting, with their `POST /networks/{id}/connect` bodies (JSON):
    /// API 1.41 (Docker 20.10) takes only one network at creation, as Compose v1 knows.
    var connections: [(network: String, body: String)]

    /// The image the replica runs: the override, or the source's `Config.Image`.
    var image: String

    /// - Parameters:
    ///   - container: the source replica's `GET /containers/{id}/json`.
    ///   - sourceImage: `GET /images/{id}/json` of the image the source runs (its `Image` id), whose defaults are
    ///     left to Docker.
    ///   - image: the image for the new replica (nil: the source's), with its id when known (for Compose v2's label).
    ///   - number: the new replica's `container-number`.
    ///   - name: the new container's name.
    static func make(container: [UInt8], sourceImage: [UInt8], image override: (reference: String, id: String?)?,
                     number: Int, name: String) throws(DockerError) -> ReplicaBlueprint {
        let inspect = try object(container, "container inspect")
        let imageConfig = (try object(sourceImage, "image inspect"))["Config"] as? [String: Any] ?? [:]
        guard var config = inspect["Config"] as? [String: Any] else {
            throw .invalidResponse("container inspect: no Config")
        }
        var hostConfig = inspect["HostConfig"] as? [String: Any] ?? [:]
        let id = inspect["Id"] as? String ?? ""
        let oldName = (inspect["Name"] as? String).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? ""

        // What the image gave, Docker gives again.
        if let env = config["Env"] as? [String], let imageEnv = imageConfig["Env"] as? [String] {
            let inherited = Set(imageEnv)
            config["Env"] = env.filter { !inherited.contains($0) }
        }
        if var labels = config["Labels"] as? [String: String] {
            for (key, value) in imageConfig["Labels"] as? [String: String] ?? [:] where labels[key] == value {
                labels[key] = nil
            }
            labels[ComposeReplica.Label.number] = String(number)
            labels[ComposeReplica.Label.oneOff] = "False"
            labels[ComposeReplica.Label.replace] = nil
            if let override, let imageID = override.id, labels[ComposeReplica.Label.image] != nil {
                labels[ComposeReplica.Label.image] = imageID
            }
            config["Labels"] = labels
        }
        for key in ["Volumes", "ExposedPorts"] {
            if var own = config[key] as? [String: Any], let inherited = imageConfig[key] as? [String: Any] {
                for path in inherited.keys { own[path] = nil }
                config[key] = own.isEmpty ? nil : own
            }
        }
        // An entrypoint set on the container replaces the image's command too: keep the command then.
        let entrypointInherited = same(config["Entrypoint"], imageConfig["Entrypoint"])
        if entrypointInherited {
            config["Entrypoint"] = nil
            if same(config["Cmd"], imageConfig["Cmd"]) { config["Cmd"] = nil }
        }
        for key in ["WorkingDir", "User", "Healthcheck", "StopSignal", "Shell", "OnBuild"] where same(config[key], imageConfig[key]) {
            config[key] = nil
        }

        // The old container's own.
        if let hostname = config["Hostname"] as? String, !hostname.isEmpty, id.hasPrefix(hostname) {
            config["Hostname"] = nil
        }
        config["MacAddress"] = nil
        config["Image"] = override?.reference ?? config["Image"]
        let imageReference = config["Image"] as? String ?? ""

        // `/other_db_1:/this_worker_1/db` as inspect shows links; `other_db_1:db` as create takes them.
        if let links = hostConfig["Links"] as? [String] {
            hostConfig["Links"] = links.map(createLink)
        }
        hostConfig["ContainerIDFile"] = nil
        config["HostConfig"] = hostConfig

        // Networks: the one of NetworkMode at creation, the others connected before the start.
        let networkMode = hostConfig["NetworkMode"] as? String ?? ""
        let networks = (inspect["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any] ?? [:]
        let shortID = String(id.prefix(12))
        var connections: [(network: String, body: String)] = []
        let usesNetworks = !["none", "host"].contains(networkMode) && !networkMode.hasPrefix("container:")
        if usesNetworks {
            // NetworkMode names the first network (Compose v1 and v2 both put the service's first network there);
            // `default` is the bridge.
            let primary = networks[networkMode] != nil ? networkMode : networks.keys.sorted().first
            for networkName in networks.keys.sorted() {
                guard let settings = networks[networkName] as? [String: Any] else { continue }
                let endpoint = endpointConfig(settings, shortID: shortID, oldName: oldName, newName: name)
                if networkName == primary {
                    config["NetworkingConfig"] = ["EndpointsConfig": [networkName: endpoint]]
                } else {
                    connections.append((networkName, try json(["EndpointConfig": endpoint])))
                }
            }
        }
        return ReplicaBlueprint(name: name, createBody: try json(config), connections: connections, image: imageReference)
    }

    /// An endpoint's settings for `create` or `connect`: aliases (without the old container's short id and name; with
    /// the new name where the old one was), links, driver options and link-local addresses; no static addresses.
    static func endpointConfig(_ settings: [String: Any], shortID: String, oldName: String, newName: String) -> [String: Any] {
        var endpoint: [String: Any] = [:]
        if let aliases = settings["Aliases"] as? [String] {
            var kept: [String] = []
            for alias in aliases where alias != shortID && !kept.contains(alias) {
                let renamed = alias == oldName ? newName : alias
                if !kept.contains(renamed) { kept.append(renamed) }
            }
            if !kept.isEmpty { endpoint["Aliases"] = kept }
        }
        if let links = settings["Links"] as? [String], !links.isEmpty { endpoint["Links"] = links.map(createLink) }
        if let options = settings["DriverOpts"] as? [String: Any], !options.isEmpty { endpoint["DriverOpts"] = options }
        if let ipam = settings["IPAMConfig"] as? [String: Any], let linkLocal = ipam["LinkLocalIPs"] as? [String],
           !linkLocal.isEmpty {
            endpoint["IPAMConfig"] = ["LinkLocalIPs": linkLocal]
        }
        return endpoint
    }

    /// `/db_1:/worker_1/db` (inspect's form) as `db_1:db` (create's); other forms unchanged.
    static func createLink(_ link: String) -> String {
        let parts = link.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].hasPrefix("/"), parts[1].hasPrefix("/") else { return link }
        let alias = parts[1].split(separator: "/").last.map(String.init) ?? parts[1]
        return String(parts[0].dropFirst()) + ":" + alias
    }

    /// Whether two JSON values are equal, `null` and absent alike.
    private static func same(_ a: Any?, _ b: Any?) -> Bool {
        let a = a is NSNull ? nil : a, b = b is NSNull ? nil : b
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?): return (try? json([a])) == (try? json([b]))
        default: return false
        }
    }

    private static func object(_ bytes: [UInt8], _ what: String) throws(DockerError) -> [String: Any] {
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw DockerError.invalidResponse("\(what): not a JSON object")
            }
            return object
        } catch let error as DockerError {
            throw error
        } catch {
            throw .invalidResponse("\(what): \(error)")
        }
    }

    static func json(_ value: Any) throws(DockerError) -> String {
        do {
            let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw .invalidResponse("cannot encode a create request: \(error)")
        }
    }
}
