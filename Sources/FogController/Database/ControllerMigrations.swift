internal import GRDB

/// The controller's schema history.
///
/// Migrations are frozen once shipped and use string table and column names, never record
/// types, so a later change to a record cannot rewrite history. Ids are the 26-character
/// text form of `OpaqueID`, hashes 64 hex digits, public keys 43 base64url symbols: no
/// column can hold a secret, PSK or private key because none of those types is stored.
enum ControllerMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: comsat, agent, provisioningKey, microservice, link, linkHalf, agentCommand") { db in
            try db.create(table: "comsat") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("url", .text).notNull()
                t.column("caFile", .text)
                t.column("responseKey", .text)
                t.column("controllerUsername", .text).notNull()
                t.column("controllerClientID", .text).notNull()
                t.column("digestCount", .integer)
                t.column("digestSum", .text)
                t.column("health", .text).notNull()
                t.column("healthChanged", .datetime)
                t.column("created", .datetime).notNull()
            }
            try db.create(table: "agent") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("signingKey", .text).notNull()
                t.column("agreementKey", .text).notNull()
                t.column("secretHash", .text).notNull()
                t.column("clientID", .text).notNull().unique()
                t.column("homeComSatID", .text).notNull().indexed().references("comsat", onDelete: .restrict)
                t.column("commandTopicID", .text).notNull().unique()
                t.column("replyTopicID", .text).notNull().unique()
                t.column("nextCommandSequence", .integer).notNull()
                t.column("lastAckedSequence", .integer).notNull()
                t.column("presence", .text).notNull()
                t.column("presenceChanged", .datetime)
                t.column("created", .datetime).notNull()
            }
            try db.create(table: "provisioningKey") { t in
                t.primaryKey("id", .text)
                t.column("agentName", .text).notNull()
                t.column("secretHash", .text).notNull()
                t.column("clientID", .text).notNull().unique()
                t.column("comsatID", .text).notNull().indexed().references("comsat", onDelete: .restrict)
                t.column("requestTopicID", .text).notNull().unique()
                t.column("responseTopicID", .text).notNull().unique()
                t.column("expires", .datetime).notNull()
                t.column("used", .boolean).notNull()
                t.column("created", .datetime).notNull()
            }
            try db.create(table: "microservice") { t in
                t.primaryKey("id", .text)
                t.column("agentID", .text).notNull().references("agent", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("executable", .text).notNull()
                t.column("arguments", .jsonText).notNull()
                t.column("environment", .jsonText).notNull()
                t.column("configuration", .text)
                t.column("created", .datetime).notNull()
                t.uniqueKey(["agentID", "name"])
            }
            try db.create(table: "link") { t in
                t.primaryKey("id", .text)
                t.column("comsatID", .text).notNull().indexed().references("comsat", onDelete: .restrict)
                t.column("state", .text).notNull()
                t.column("created", .datetime).notNull()
            }
            try db.create(table: "linkHalf") { t in
                t.column("linkID", .text).notNull().references("link", onDelete: .cascade)
                t.column("side", .text).notNull()
                t.column("agentID", .text).notNull().indexed().references("agent", onDelete: .cascade)
                t.column("username", .text).notNull().unique()
                t.column("clientID", .text).notNull().unique()
                t.column("publishTopicID", .text).notNull().unique()
                t.column("subscribeTopicID", .text).notNull().unique()
                t.column("secretHash", .text)
                t.primaryKey(["linkID", "side"])
            }
            try db.create(table: "agentCommand") { t in
                t.column("agentID", .text).notNull().references("agent", onDelete: .cascade)
                t.column("sequence", .integer).notNull()
                t.column("sealed", .blob).notNull()
                t.column("created", .datetime).notNull()
                t.primaryKey(["agentID", "sequence"])
            }
        }
        // Routes between microservices, carried by links. A route names its microservices by
        // (agent, name), so a microservice cannot be deleted under a route (RESTRICT), and it
        // goes with its link (CASCADE): deleting a link leaves no route naming it.
        migrator.registerMigration("v2: route") { db in
            try db.create(table: "route") { t in
                t.primaryKey("id", .text)
                t.column("linkID", .text).notNull().indexed().references("link", onDelete: .cascade)
                t.column("channel", .integer).notNull()
                t.column("sourceAgentID", .text).notNull()
                t.column("sourceMicroservice", .text).notNull()
                t.column("targetAgentID", .text).notNull()
                t.column("targetMicroservice", .text).notNull()
                t.column("created", .datetime).notNull()
                t.uniqueKey(["linkID", "channel"])
                t.uniqueKey(["sourceAgentID", "sourceMicroservice", "targetAgentID", "targetMicroservice"])
                t.foreignKey(
                    ["sourceAgentID", "sourceMicroservice"], references: "microservice", columns: ["agentID", "name"],
                    onDelete: .restrict)
                t.foreignKey(
                    ["targetAgentID", "targetMicroservice"], references: "microservice", columns: ["agentID", "name"],
                    onDelete: .restrict)
            }
            try db.create(index: "route_on_targetAgentID_targetMicroservice", on: "route", columns: ["targetAgentID", "targetMicroservice"])
        }
        return migrator
    }
}
