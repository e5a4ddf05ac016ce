"""Engines chosen by name and imported lazily.

An engine's module is imported only when the engine is first asked for, so
optional dependencies (google-cloud-vision, rapidocr) are needed only by
those who use them. A missing one is reported with the extra to install.

An engine may also be registered by where it lives (``module:attribute``
and keyword arguments, :meth:`EngineRegistry.register_path`): such an
engine can be rebuilt in another process. The engine worker processes get
the registry as a :class:`RegistrySpec` (the settings, the default name and
those paths) and build their own copy of every engine from it; an engine
registered as a ready instance (:meth:`EngineRegistry.register`) cannot
leave the process it was made in, so it needs ``PLANOCR_ENGINE_ISOLATION=thread``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planocr.engines.base import OcrEngine
from planocr.errors import InvalidArgument, Reason

if TYPE_CHECKING:
    from planocr.config import Settings


@dataclass(frozen=True)
class EnginePath:
    """An engine built by calling ``target`` (``"package.module:attribute"``) with ``options``."""

    target: str
    options: dict[str, Any] = field(default_factory=dict)

    def build(self) -> OcrEngine:
        module, _, attribute = self.target.partition(":")
        factory: Any = importlib.import_module(module)
        for part in attribute.split("."):
            factory = getattr(factory, part)
        return factory(**self.options)


@dataclass(frozen=True)
class RegistrySpec:
    """What another process needs to build the same engines: picklable, no engine in it."""

    default: str
    settings: Settings | None = None
    paths: dict[str, EnginePath] = field(default_factory=dict)

    def build(self) -> EngineRegistry:
        registry = EngineRegistry.from_settings(self.settings) if self.settings is not None else EngineRegistry(self.default)
        registry.default = self.default
        for name, path in self.paths.items():
            registry.register_path(name, path.target, **path.options)
        return registry


@dataclass(frozen=True)
class EngineSpec:
    """Where an engine lives and which pip extra brings its dependencies."""

    module: str
    cls: str
    extra: str | None = None


ENGINES: dict[str, EngineSpec] = {
    "null": EngineSpec("planocr.engines.null", "NullEngine"),
    "tesseract": EngineSpec("planocr.engines.tesseract", "TesseractEngine"),
    "rapidocr": EngineSpec("planocr.engines.rapid", "RapidOcrEngine", extra="rapidocr"),
    "vision": EngineSpec("planocr.engines.vision", "VisionEngine", extra="vision"),
}


def engine_names() -> list[str]:
    return sorted(ENGINES)


class EngineRegistry:
    """Builds each named engine once, on first use, and hands out the shared instance.

    ``factory`` overrides how an engine is built (its options come from settings).
    """

    def __init__(self, default: str, factory: Callable[[str, type[OcrEngine]], OcrEngine] | None = None):
        self.default = default
        self._factory = factory or (lambda _name, cls: cls())
        self._engines: dict[str, OcrEngine] = {}
        self._paths: dict[str, EnginePath] = {}
        self._instances: set[str] = set()
        self._settings: Settings | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineRegistry:
        """The server's registry: default ``settings.engine``, each engine built by :func:`build_engine`."""
        registry = cls(settings.engine, factory=lambda name, engine_cls: build_engine(name, settings, engine_cls))
        registry._settings = settings
        return registry

    def register(self, engine: OcrEngine, name: str | None = None) -> None:
        """Install a ready engine instance under ``name`` (tests use this for fakes); it stays in this process."""
        with self._lock:
            self._engines[name or engine.name] = engine
            self._instances.add(name or engine.name)

    def register_path(self, name: str, target: str, **options: Any) -> None:
        """Make ``name`` the engine ``target(**options)`` (``target`` is ``"module:attribute"``), built on first use.

        Unlike :meth:`register`, this travels to the engine worker processes
        (:meth:`spec`), which import ``module`` and build their own engine;
        ``options`` must be picklable.
        """
        with self._lock:
            self._paths[name] = EnginePath(target, dict(options))
            self._engines.pop(name, None)
            self._instances.discard(name)

    def spec(self) -> RegistrySpec:
        """This registry for another process; ValueError if it holds engines registered as instances."""
        if self._instances:
            raise ValueError(
                f"engines {sorted(self._instances)} were registered as instances and cannot be built in a worker "
                "process; register them with register_path() or use PLANOCR_ENGINE_ISOLATION=thread"
            )
        settings = self._settings
        if settings is not None:
            # The engines need their own options only: no worker gets the database, storage or callers' secrets.
            settings = settings.model_copy(update=dict.fromkeys(
                ("database_url", "storage_url", "s3_access_key", "s3_secret_key", "auth_token"), None))
        return RegistrySpec(self.default, settings, dict(self._paths))

    def check(self, name: str | None = None) -> None:
        """Refuse an unknown or uninstalled engine without building it."""
        name = name or self.default
        if name in self._engines or name in self._paths:
            return
        load_engine_class(name)

    def get(self, name: str | None = None) -> OcrEngine:
        name = name or self.default
        engine = self._engines.get(name)
        if engine is not None:
            return engine
        with self._lock:
            engine = self._engines.get(name)
            if engine is None:
                path = self._paths.get(name)
                engine = path.build() if path is not None else self._factory(name, load_engine_class(name))
                self._engines[name] = engine
            return engine

    def close(self) -> None:
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()


def load_engine_class(name: str) -> type[OcrEngine]:
    spec = ENGINES.get(name)
    if spec is None:
        raise InvalidArgument(
            f"unknown engine {name!r}; choose one of {', '.join(engine_names())}",
            reason=Reason.UNKNOWN_ENGINE,
        )
    try:
        module = importlib.import_module(spec.module)
    except ImportError as exc:
        hint = f"pip install 'planocr[{spec.extra}]'" if spec.extra else "reinstall planocr"
        raise InvalidArgument(
            f"engine {name!r} is not installed ({exc.name or exc}); {hint}",
            reason=Reason.ENGINE_NOT_INSTALLED,
        ) from exc
    return getattr(module, spec.cls)


def build_engine(name: str, settings: Settings, cls: type[OcrEngine] | None = None) -> OcrEngine:
    """Build engine ``name`` with its options from ``settings``.

    tesseract and rapidocr get the tesseract model folder (``PLANOCR_TESSDATA``), tesseract its
    languages (``PLANOCR_TESSERACT_LANG``, and ``PLANOCR_TESSERACT_AUTO_LANG`` for region reads); vision its
    endpoint, timeout and language hints; every engine the pixel limit
    (``PLANOCR_MAX_IMAGE_PIXELS``) of the decompression-bomb guard.
    """
    cls = cls or load_engine_class(name)
    options: dict[str, object] = {}
    if name in ("tesseract", "rapidocr"):  # rapidocr finds the page's orientation with tesseract's OSD
        options["tessdata"] = settings.tessdata
        if name == "tesseract":
            options["lang"] = settings.tesseract_lang
            options["extra_langs"] = (settings.tesseract_auto_lang,) if settings.tesseract_auto_lang else ()
    elif name == "vision":
        options["endpoint"] = settings.vision_endpoint
        options["timeout"] = settings.vision_timeout
        options["language_hints"] = [h.strip() for h in settings.vision_language_hints.split(",") if h.strip()]
    engine = cls(**options)
    engine.max_pixels = settings.max_image_pixels
    return engine
