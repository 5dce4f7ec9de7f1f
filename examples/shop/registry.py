class ComponentRegistry:
    _components: dict[str, type] = {}

    @classmethod
    def register(cls, name: str, component: type) -> None:
        cls._components[name] = component

    @classmethod
    def load_specs(cls) -> list[str]:
        return sorted(cls._components)
