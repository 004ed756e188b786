"""``Module``: the base class of every network part, after ``torch.nn.Module``.

A module's parameters and sub-modules are found from its attributes, in the order they
were assigned (as micrograd does, without torch's registration machinery):

* an attribute holding a ``Value``, or a list/tuple of Values, is a parameter
  (``b``; ``w.0``, ``w.1``, ...);
* an attribute holding a ``Module``, or a list/tuple of Modules, is a child
  (``layers.0``, ``layers.1``, ...).

So a module must keep only its parameters as Value attributes (never a cached output).
Names are dotted paths, as in torch: ``layers.0.neurons.2.w.1``.

Calling a module runs its ``forward`` inside ``autograd.scope(self)``: every node built
while it runs is tagged with the tuple of modules that made it, outermost first, which is
how a drawing can group a graph's nodes by network, layer and neuron.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from autograd import Value
from autograd.value import enter_scope, exit_scope

__all__ = ["Module"]


def _uniform(items: list | tuple) -> bool:
    """True for a non-empty sequence of Values only, or of Modules only."""
    return bool(items) and (
        all(isinstance(item, Value) for item in items)
        or all(isinstance(item, Module) for item in items)
    )


class Module:
    """Base class: parameters and children discovered from attributes, torch-style API."""

    # Whether ``repr`` lists the children. A Layer turns it off: like torch's Linear it
    # is summarised by its shape rather than by hundreds of neuron lines.
    _repr_children: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses override it. Call the module, not ``forward``."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Record every Value built below as made by this call (see autograd.scope).
        token = enter_scope(self)
        try:
            return self.forward(*args, **kwargs)
        finally:
            exit_scope(token)

    # ------------------------------------------------------------ discovery
    def _members(self) -> Iterator[tuple[str, Value | Module]]:
        """(name, Value or Module) for each parameter and child, in attribute order."""
        for name, attr in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(attr, (Value, Module)):
                yield name, attr
            elif isinstance(attr, (list, tuple)) and _uniform(attr):
                for i, item in enumerate(attr):
                    yield f"{name}.{i}", item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-module."""
        for name, member in self._members():
            if isinstance(member, Module):
                yield name, member

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (named ``prefix``, "" by default) and all below."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:  # a module shared by two parents is listed once
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module.named_children()
            ]
            stack.extend(reversed(children))  # depth-first, in attribute order

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter, each once, in a fixed order."""
        seen: set[Value] = set()  # Values hash by identity
        for module_name, module in self.named_modules(prefix):
            for name, member in module._members():
                if isinstance(member, Value) and member not in seen:
                    seen.add(member)
                    yield (f"{module_name}.{name}" if module_name else name), member

    def parameters(self) -> list[Value]:
        """Every parameter, in ``named_parameters`` order."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> list[Module]:
        """This module and every module below it."""
        return [m for _, m in self.named_modules()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (``backward`` accumulates into it)."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return sum(1 for _ in self.named_parameters())

    # --------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The module's own settings, shown inside its ``repr`` (override it)."""
        return ""

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        if self._repr_children:
            for name, child in self.named_children():
                child_text = repr(child).replace("\n", "\n  ")
                lines.append(f"({name}): {child_text}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._has_repr_children():
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def _has_repr_children(self) -> bool:
        return self._repr_children and any(True for _ in self.named_children())
