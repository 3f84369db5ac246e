"""Everything a run loads once and hands to every stage: the share, site.ini, the current
catalog, the product rules, the policy, the size caps and the package book (hotfixes\\ walked once)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

from hfstage.assess import SitePolicy, load_policy, policy_problems
from hfstage.catalog import (
    Catalog,
    StoredCatalog,
    apply_supplements,
    current_version,
    find_catalog,
    list_catalogs,
    load_supplements,
    previous_version,
    supplements_key,
)
from hfstage.errors import UsageError
from hfstage.history import History
from hfstage.inventory import Accounts, Limits, load_site_rules, machine_folders
from hfstage.packages import PackageBook, PackageIndex, package_book, package_index
from hfstage.scripts import ScriptSettings, package_choices, script_settings
from hfstage.share import DETECTION, TESTING, Release, Share, SiteConfig, did_you_mean


class ConfigProblems(UsageError):
    """site.ini says things that match nothing: every one is listed, each with its file:line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


@dataclass
class Site:
    """One share, with site.ini parsed once (when a step first needs it) and the current catalog at most once."""

    share: Share

    def __post_init__(self) -> None:
        self.share.check()

    @cached_property
    def config(self) -> SiteConfig:
        return self.share.config()

    @classmethod
    def open(cls, root) -> Site:
        return cls(Share(root))

    @cached_property
    def history(self) -> History:
        return History(self.share)

    @cached_property
    def rules(self) -> dict:
        return load_site_rules(self.share)

    @cached_property
    def policy(self) -> SitePolicy:
        return load_policy(self.config, self.share.state_file(TESTING))

    @cached_property
    def limits(self) -> Limits:
        return Limits.from_config(self.config)

    @cached_property
    def accounts(self) -> Accounts:
        """How this server names computer accounts ([binding] domain)."""
        return Accounts(self.config.get("binding", "domain"))

    @cached_property
    def scripts(self) -> ScriptSettings:
        from hfstage.pipeline.approvals import gate  # approvals read here: they are part of what scripts are made from

        return dataclasses.replace(script_settings(self.config), gate=gate(self))

    def start_release(self) -> Release:
        """The next generation of scripts\\ (call with the share's lock held), keeping a replaced one for site.ini
        [scripts] keep_days."""
        return Release.start(self.share.folder("scripts"), self.config.get("scripts", "keep_days"))

    def has_catalog(self) -> bool:
        return bool(list_catalogs(self.share))

    @cached_property
    def stored(self) -> StoredCatalog:
        return find_catalog(self.share)

    @cached_property
    def supplements(self) -> list[dict]:
        """Detection supplements (hfstage's and state\\detection.json): checks the catalog lacks."""
        return load_supplements(self.share.state_file(DETECTION))

    @cached_property
    def catalog(self) -> Catalog:
        catalog = self.stored.load()
        apply_supplements(catalog, self.supplements)
        return catalog

    @cached_property
    def previous(self) -> Catalog | None:
        """The catalog that was current before the current one, as stored (no supplements), or None: the month's
        diff and its plan both compare with it, and it is parsed once for both."""
        before = previous_version(self.share)
        return find_catalog(self.share, before).load() if before else None

    @property
    def catalog_sha(self) -> str:
        """What assessments rest on from the catalog side: its XML and the supplements added to it."""
        return str(self.stored.record.get("xml_sha256", self.stored.data_version)) + "+" + \
            supplements_key(self.supplements)[:16]

    def reload_catalog(self) -> None:
        """Forget the parsed catalogs (after an import made another one current), and the book's builds of it."""
        for name in ("stored", "catalog", "previous", "book"):
            self.__dict__.pop(name, None)

    @cached_property
    def hotfixes(self) -> PackageIndex:
        """The files below hotfixes\\, walked once per run."""
        return package_index(self.share)

    @cached_property
    def book(self) -> PackageBook:
        """The run's one package book: hotfixes\\ with the current catalog's builds, site.ini's [installers] and
        [switches]; the plan, the scripts, the fetch list and `hfstage packages` all read it."""
        kinds, switches = package_choices(self.config)
        catalog = self.catalog if self.has_catalog() else None
        return package_book(self.share, kinds, switches, index=package_index(self.share, catalog, self.hotfixes))

    def current_version(self) -> str | None:
        return current_version(self.share)

    def check(self, need_scripts: bool = True, names: bool = True) -> list[str]:
        """Everything site.ini says, checked before a month begins: what cannot work is refused (every
        problem listed); with NAMES, names that match nothing in the current catalog are returned as warnings."""
        self.config  # noqa: B018 - site.ini itself first: its own errors are one line each, said once
        problems: list[str] = []
        loaders = [lambda: self.policy, lambda: self.limits] + ([lambda: self.scripts] if need_scripts else [])
        for load in loaders:
            try:
                load()
            except UsageError as e:
                problems.append(str(e))
        if problems:
            raise ConfigProblems(problems)
        return (policy_problems(self.config, self.catalog) + self._script_name_problems()) \
            if names and self.has_catalog() else []

    def _script_name_problems(self) -> list[str]:
        """[service_packs] products, [installers]/[switches] packages and [reboot_machines] machines that match
        nothing: a typo there silently changes nothing, which the admin must hear about. What a section's names
        are checked against is gathered only for a section that names something (most sites name no machine:
        inventory\\ is then not listed for it, every month)."""
        no_package = "no catalog patch, [service_packs] package or file under hotfixes\\ of that name"
        checks = (("service_packs", self._product_names, "the catalog names no such product"),
                  ("installers", self._package_names, no_package), ("switches", self._package_names, no_package),
                  ("reboot_machines", self._machine_names, "no machine of that name under inventory\\"))
        self.book  # noqa: B018 - built here whatever site.ini names: hotfixes\\ unreadable stops the month at step 1
        out = []
        for section, names, what in checks:
            entries = self.config.section(section)
            if not entries:
                continue
            known = names()
            folded = {k.casefold() for k in known}
            out += [f"{e.where}: [{section}] {e.key}: {what}" + did_you_mean(e.key.strip(), known)
                    for e in entries if e.key.strip().casefold() not in folded]
        return out

    def _product_names(self) -> list[str]:
        return sorted({p.name.strip() for p in self.catalog.products.values()})

    def _package_names(self) -> list[str]:
        index = self.book.index
        places = [b.place for b in index.builds.builds if b.place] if index.builds else []
        return sorted({p.name.strip() for p in self.catalog.patches()} | set(self.scripts.service_packs.values())
                      | set(index.names()) | set(places))

    def _machine_names(self) -> list[str]:
        folders, _ = machine_folders(self.share)
        return sorted(f.name for f in folders)
