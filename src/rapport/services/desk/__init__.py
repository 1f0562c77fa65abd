"""The support desk's use cases: intake (`intake`), the ticket lifecycle and claims (`lifecycle`), the
queue board (`queues`), and grants (`grants`). Import them from their modules; the store's side of
them is `ports.DeskRepository` (this package's `__init__` imports nothing, so `services.ports` can
name the port without a cycle)."""
