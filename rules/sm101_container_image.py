"""SM101 container-image."""

from __future__ import annotations

import fnmatch
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.rulebase import Fail, Rule, RuleParams, Undecided, require
from auditor.values import Str, Sym, Unknown, display, is_known, prop, why_unknown

DATA = Path(__file__).parent / "data" / "sagemaker_registries.json"
ECR_HOST = re.compile(r"^(?P<account>[^./]+)\.dkr\.ecr(?:-fips)?\.(?P<region>[^./]+)\.amazonaws\.com(?:\.cn)?$")
OWN_ACCOUNT = Sym("pseudo", "AWS::AccountId")


@lru_cache(maxsize=1)
def aws_registries() -> dict[str, set[str]]:
    """region -> AWS-owned SageMaker/DLC accounts (from the SageMaker Python SDK's image-URI config)."""
    data = json.loads(DATA.read_text())
    out: dict[str, set[str]] = {}
    for fam in data["families"].values():
        for region, account in fam["registries"].items():
            out.setdefault(region, set()).add(account)
    return out


def aws_accounts() -> set[str]:
    return set().union(*aws_registries().values())


class _Image:
    """An image URI split into registry host, account, region, repository
    and tag/digest; any part may be symbolic (``None`` when absent)."""

    def __init__(self, value: Any) -> None:
        parts = value.parts if isinstance(value, Str) else (value,)
        # symbolic parts become placeholders so the literal structure can be parsed
        self.syms: dict[str, Any] = {}
        text = ""
        for p in parts:
            if isinstance(p, str):
                text += p
            else:
                key = f"\x00{len(self.syms)}\x00"
                self.syms[key] = p
                text += key
        self.text = text
        host, sep, rest = text.partition("/")
        if not sep:
            # "nginx:1.25" is Docker Hub; "${Repo}:${Tag}" could be anything
            host, rest = (text, text) if "\x00" in text else ("docker.io", text)
        elif "." not in host and ":" not in host and host != "localhost" and "\x00" not in host:
            host, rest = "docker.io", text  # Docker Hub "user/repo:tag"
        self.host, self.rest = host, rest
        m = ECR_HOST.match(host)
        self.account = self._value(m.group("account")) if m else None
        self.region = self._value(m.group("region")) if m else None
        last = rest.rsplit("/", 1)[-1]
        self.digest = "@sha256:" in last
        self.tag: Any = None
        if not self.digest and ":" in last:
            self.tag = self._value(last.split(":", 1)[1])
        self.last_symbolic = "\x00" in last and ":" not in last and not self.digest

    def _value(self, s: str) -> Any:
        if s in self.syms:
            return self.syms[s]
        if "\x00" in s:
            return Unknown("built from " + ", ".join(v.describe() for k, v in self.syms.items() if k in s))
        return s

    @property
    def host_known(self) -> bool:
        return "\x00" not in self.host


class ContainerImage(Rule):
    """Model containers use SageMaker / Deep Learning Container images, pinned to a version.

    ## What it checks
    Every container of a Model (`PrimaryContainer`, `Containers[]`), the
    container an inference component runs inline
    (`Specification.Container.Image`; live, the image it was deployed from,
    `DeployedImage.SpecifiedImage`) and, when a container is created from a
    model package that is in the inventory, every image of that package's
    `InferenceSpecification.Containers[]`:

    * the image comes from an AWS-owned SageMaker or Deep Learning Containers
      ECR registry (account `763104351884` and the per-region framework,
      algorithm, Neo, Model Monitor and Clarify accounts listed in the
      SageMaker Python SDK's `image_uri_config` data, kept in
      `rules/data/sagemaker_registries.json`), or from a registry listed in
      `allowed_registries` (an account ID, a registry host, or a
      `host/path` prefix; `*` wildcards allowed);
    * the image is pinned: a tag other than `latest`, or a `@sha256:` digest.
      An untagged image means `latest`.

    An image in this account's own ECR (`${AWS::AccountId}.dkr.ecr...`) is
    not an AWS SageMaker registry: it is allowed only with
    `allow_own_account: true` (for teams that build their own images on top
    of the SageMaker base images and push them to their own ECR). An image
    from a parameter without a default, or an ECR host whose account is a
    parameter, cannot be decided: the result is *unknown*.

    ## Why
    SageMaker-compatible images carry the serving stack SageMaker expects
    (`/ping`, `/invocations`, model loading) and are patched by AWS. A
    mutable `latest` tag makes a deployment unrepeatable: the same template
    can deploy a different image tomorrow.

    ## Example
    ```yaml
    PrimaryContainer:
      Image: my-registry.example.com/model:latest   # SM101: not a SageMaker image, not pinned
    ```

    ## Fix
    Use a Deep Learning Container or SageMaker framework image pinned to a
    version, e.g.
    `763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310`,
    or add your own vetted registry to `allowed_registries` in
    `.sm-audit.yaml`.

    ## Remediation
    None: images are chosen at build time.
    """

    id = "SM101"
    slug = "container-image"
    title = "Models use SageMaker-compatible, pinned container images"
    level = "error"
    section = "Model Preparation"
    policy = "All models must be containerized using SageMaker-compatible Docker images."
    tags = ("security", "supply-chain", "model-preparation")
    targets = ("Model", "InferenceComponent")
    reads = {"Model": ("ModelPackage",), "InferenceComponent": ()}
    security_severity = 5.0

    class Params(RuleParams):
        allowed_registries: list[str] = []  # account IDs, registry hosts or host/path prefixes (globs)
        allow_own_account: bool = False
        forbidden_tags: list[str] = ["latest"]

    def check(self, res, ctx):
        if res.kind == "InferenceComponent":
            yield from self._inline(res)
            return
        for path, c in res.containers():
            if (undecided := require(c, path, f"containers of {res.label}")):
                yield undecided
                continue
            if c.Image is not None:
                yield from self._image(path + ("Image",), c.Image, "")
            elif c.ModelPackageName is not None:
                yield from self._package(path, c, res, ctx)

    def _inline(self, ic):
        container = ic.own_container()
        if container is None:
            return  # its model (or base component) is judged itself
        path = ("Specification", "Container")
        if (undecided := require(container, path, f"container of {ic.label}")):
            yield undecided
            return
        image = prop(container, "Image")
        if image is not None:
            yield from self._image(path + ("Image",), image, "")
            return
        deployed = prop(prop(container, "DeployedImage"), "SpecifiedImage")
        yield from self._image(path + ("DeployedImage", "SpecifiedImage"),
                               deployed if deployed is not None else Unknown("the container names no image"), "")

    def _package(self, path, c, res, ctx):
        pkg = ctx.inv.find("ModelPackage", c.ModelPackageName, res)
        if pkg is None or isinstance(pkg, Unknown):
            why = why_unknown(pkg) if pkg is not None else "it is not in the inventory"
            yield Undecided(path + ("ModelPackageName",),
                            f"cannot check the images of model package {display(c.ModelPackageName)}: {why}")
            return
        spec = pkg.InferenceSpecification
        conts = getattr(spec, "Containers", None) if spec is not None and is_known(spec) else spec
        if not isinstance(conts, list):
            yield Undecided(path + ("ModelPackageName",),
                            f"model package {pkg.label} lists no inference containers"
                            + (f" ({why_unknown(conts)})" if not is_known(conts) else ""))
            return
        for i, pc in enumerate(conts):
            image = pc.get("Image") if isinstance(pc, dict) else Unknown("container cannot be determined")
            for r in self._image(("InferenceSpecification", "Containers", i, "Image"), image,
                                 f"model package {pkg.label} container {i}: "):
                r.resource = pkg
                yield r

    def _image(self, path: tuple, image: Any, what: str):
        """One result per image: every violation in one message (one fingerprint per property)."""
        if isinstance(image, (Sym, Unknown)):
            yield Undecided(path, f"{what}image cannot be determined ({why_unknown(image)})")
            return
        if not isinstance(image, (str, Str)):
            yield Fail(path, f"{what}image {display(image)} is not an image URI")
            return
        img = _Image(image)
        shown = display(image)
        fails, unknowns = [], []
        verdict = self._registry(img)
        if verdict is False:
            own = img.account == OWN_ACCOUNT
            where = "this account's own ECR registry" if own else f"registry {img.host}"
            fails.append(f"comes from {where}; the policy wants an AWS SageMaker or Deep Learning Containers "
                         f"registry or one in allowed_registries" + (" (or allow_own_account)" if own else ""))
        elif isinstance(verdict, Unknown):
            unknowns.append(f"cannot tell whether it comes from an allowed registry ({verdict.reason})")
        pin = self._pin(img)
        if pin is not None:
            (fails if pin[0] else unknowns).append(pin[1])
        if fails:
            yield Fail(path, f"{what}image {shown} " + "; ".join(fails + unknowns),
                       data={"image": shown})
        elif unknowns:
            yield Undecided(path, f"{what}image {shown}: " + "; ".join(unknowns))

    def _registry(self, img: _Image) -> Any:
        """True (allowed), False, or Unknown."""
        if self._allowed_by_param(img):
            return True
        if img.account is None:
            return False if img.host_known else Unknown(f"registry host {display(self._sym_text(img.host, img))}")
        if img.account == OWN_ACCOUNT:
            return bool(self.params.allow_own_account)
        if not isinstance(img.account, str):
            return Unknown(f"ECR account {why_unknown(img.account)}")
        regs = aws_registries()
        if isinstance(img.region, str) and img.region in regs:
            return img.account in regs[img.region]
        return img.account in aws_accounts()

    def _allowed_by_param(self, img: _Image) -> bool:
        if "\x00" in img.host:
            return False
        for pat in self.params.allowed_registries:
            if isinstance(img.account, str) and fnmatch.fnmatchcase(img.account, pat):
                return True
            if fnmatch.fnmatchcase(img.host, pat):
                return True
            prefix = pat.rstrip("/") + "/"
            literal = img.text.split("\x00", 1)[0]
            if literal.startswith(prefix) or (img.host == "docker.io" and ("docker.io/" + img.rest).startswith(prefix)):
                return True
        return False

    @staticmethod
    def _sym_text(s: str, img: _Image) -> str:
        for k, v in img.syms.items():
            s = s.replace(k, display(v))
        return s

    def _pin(self, img: _Image) -> Any:
        """(is_failure, text) when the image is not provably pinned, else None."""
        if img.digest:
            return None
        tag = img.tag
        if tag is None:
            if img.last_symbolic:
                return (False, "cannot tell whether it is pinned to a version")
            return (True, "has no tag (it means latest); pin a version tag or a @sha256 digest")
        if not isinstance(tag, str):
            return (False, f"tag cannot be determined ({why_unknown(tag)})")
        if tag in self.params.forbidden_tags:
            return (True, f"uses the mutable tag :{tag}; pin a version tag or a @sha256 digest")
        return None
