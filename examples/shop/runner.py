EVENTS: list[str] = []


def log_event(message: str) -> None:
    EVENTS.append(message)


def run_job(name: str) -> str:
    log_event(f"job {name} started")
    return name
