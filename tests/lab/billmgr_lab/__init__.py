"""The billmgr.ops lab: scenarios, stand-in BILLmanager hosts and the fleet that runs them."""
