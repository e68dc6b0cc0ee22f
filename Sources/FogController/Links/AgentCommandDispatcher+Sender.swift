/// The controller's dispatcher is where link and microservice commands go.
extension AgentCommandDispatcher: AgentCommandSender {}
