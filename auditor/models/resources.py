"""Resource models: typed models of the SageMaker deployment world (the
Inventory container that holds them is ``auditor.inventory``).

Property fields use the AWS API / CloudFormation names (they are the same
words), so a property path such as ``ProductionVariants[0].InitialInstanceCount``
means the same for a template and for a live resource. Leaves may be
``Unknown``/``Sym``/``Str`` (see ``auditor.values``) when loaded from a
template; live collectors fill plain values. Lower-case fields are ours.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Iterator, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic_core import core_schema

from ..values import UNKNOWN_TYPES, Sym, Unknown, from_jsonable, prop, same, to_jsonable, unknown_items


def _check_unknown(v: Any) -> Any:
    if isinstance(v, UNKNOWN_TYPES):
        return v
    if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in ("$unknown", "$sym", "$str"):
        return from_jsonable(v)
    raise ValueError("not an unknown value")


class Unk:
    """A value the template could not tell; keeps its reason through serialisation."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        return core_schema.no_info_plain_validator_function(
            _check_unknown, serialization=core_schema.plain_serializer_function_ser_schema(to_jsonable))

# A leaf: plain data or an unknown.
Val = Annotated[Any, PlainSerializer(to_jsonable)]


# Typed leaves: a property of the wrong shape (a list where a name belongs,
# NaN where a count belongs) is refused when the inventory is built, as an
# input problem naming the file and line, instead of reaching a rule that
# would crash on it or, worse, compare it and pass.
def _leaf_unknown(v: Any) -> Any:
    if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in ("$unknown", "$sym", "$str"):
        return from_jsonable(v)
    return v


def _shape(v: Any) -> str:
    return {bool: "a boolean", list: "a list", dict: "a mapping"}.get(type(v), type(v).__name__)


def _text(v: Any) -> Any:
    v = _leaf_unknown(v)
    if v is None or isinstance(v, (str, *UNKNOWN_TYPES)):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return str(v)  # CloudFormation reads a scalar as its text
    raise ValueError(f"expected text, not {_shape(v)}" if not isinstance(v, float) else "expected text, not NaN")


def _num(v: Any) -> Any:
    v = _leaf_unknown(v)
    if v is None or isinstance(v, UNKNOWN_TYPES):
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise ValueError(f"expected a number, not {_shape(v)}")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"expected a finite number, not {v}")
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return v  # the rules say what a non-numeric value means for them
        if not math.isfinite(f):
            raise ValueError(f"expected a finite number, not {v!r}")
    return v


def _flag(v: Any) -> Any:
    v = _leaf_unknown(v)
    if isinstance(v, (list, dict)):
        raise ValueError(f"expected true or false, not {_shape(v)}")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("expected true or false, not NaN")
    return v


Text = Annotated[Any, BeforeValidator(_text), PlainSerializer(to_jsonable)]
Num = Annotated[Any, BeforeValidator(_num), PlainSerializer(to_jsonable)]
Flag = Annotated[Any, BeforeValidator(_flag), PlainSerializer(to_jsonable)]


def Maybe(model: Any) -> Any:  # noqa: N802 - reads as a type
    """``model`` when the value is known, else the unknown itself."""
    return Optional[Union[model, Unk]]


class Part(BaseModel):
    """A nested property structure. Unmodelled properties are kept."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)


# ---- provenance -----------------------------------------------------------


class Suppression(BaseModel):
    rule: str
    reason: str = ""
    expires: Optional[str] = None  # ISO date
    kind: str = "inSource"  # SARIF suppression kind: inSource | external
    source: str = ""  # where it was declared (file:line, tag, config)
    resource: Optional[str] = None  # config suppressions: which resource (glob)
    path: Optional[str] = None  # config suppressions: which file (glob)
    line: Optional[int] = None  # template suppressions: where the entry is
    column: Optional[int] = None
    problem: Optional[str] = None  # why it cannot be applied (no reason, malformed); reported as SM001


class Meta(BaseModel):
    """Where a resource came from: a file position or an ARN."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    key: str  # unique in a run: "file#LogicalId" (doc-qualified) or the ARN
    type: str  # AWS type, e.g. AWS::SageMaker::Endpoint
    logical_id: Optional[str] = None
    file: Optional[str] = None
    doc: int = 0
    base: tuple = ()  # template path of the resource's property mapping
    resource_path: tuple = ()  # template path of the resource itself
    pathmap: dict = Field(default_factory=dict, exclude=True)  # resolved -> template path
    arn: Optional[str] = None
    account: Optional[str] = None
    region: Optional[str] = None
    stack: Optional[str] = None  # aws:cloudformation:stack-name
    condition: Optional[str] = None  # resource Condition that could not be decided
    suppressions: list[Suppression] = Field(default_factory=list)
    dialect: Optional[str] = None  # "terraform": findings show the Terraform attribute path

    @property
    def is_live(self) -> bool:
        return self.arn is not None and self.file is None

    @property
    def source_noun(self) -> str:
        """What the resource is declared in, as messages name it."""
        return "configuration" if self.dialect == "terraform" else "template"


class Resource(BaseModel):
    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    kind: ClassVar[str] = "Resource"
    cfn_type: ClassVar[str] = ""
    name_prop: ClassVar[str] = ""  # property holding the physical name

    meta: Meta
    Tags: Maybe(dict) = None  # normalised to {key: value}

    @property
    def key(self) -> str:
        return self.meta.key

    @property
    def label(self) -> str:
        """How findings name the resource: logical id, else name, else ARN."""
        if self.meta.logical_id:
            return self.meta.logical_id
        n = self.name
        return n if isinstance(n, str) else (self.meta.arn or self.meta.key)

    @property
    def name(self) -> Any:
        """Physical name; a ``Sym`` for a template resource CFN will name."""
        v = getattr(self, self.name_prop, None) if self.name_prop else None
        if v is None and self.meta.logical_id:
            return Sym("resource", self.meta.logical_id, self.name_prop or None)
        return v

    @property
    def shown_name(self) -> str:
        """The physical name as messages show it: literal, or the pattern it
        is built from (``${AWS::StackName}-embedding``); when it cannot be told,
        said so, never the logical ID standing in for the name."""
        from ..values import display

        n = self.name
        if isinstance(n, Unknown) or n is None:
            return f"<name of {self.label}: {n.reason if n is not None else 'not given'}>"
        return display(n)

    def tag(self, key: str) -> Any:
        """A tag value, None when absent, the unknown when tags are unknown."""
        tags = self.Tags
        if tags is None:
            return None
        if not isinstance(tags, dict):
            return tags
        return tags.get(key)

    def is_referenced_by(self, value: Any) -> bool:
        """Does a resolved value name this resource (Ref/GetAtt/name/ARN)?"""
        if isinstance(value, Sym) and value.kind == "resource":
            return value.key == self.meta.logical_id
        if isinstance(value, Unknown) or value is None:
            return False
        name = self.name
        if same(value, name):
            return True
        if isinstance(value, str):
            if self.meta.arn and value == self.meta.arn:
                return True
            if isinstance(name, str) and value.startswith("arn:") and value.rsplit("/", 1)[-1] == name:
                return True
        return False


# ---- SageMaker ------------------------------------------------------------


class ModelDataSourceSpec(Part):
    S3DataSource: Maybe(Part) = None


class Container(Part):
    Image: Text = None
    ModelDataUrl: Text = None
    ModelPackageName: Text = None
    Mode: Text = None
    ContainerHostname: Text = None
    Environment: Maybe(dict) = None
    ModelDataSource: Maybe(ModelDataSourceSpec) = None


class VpcConfigSpec(Part):
    SecurityGroupIds: Maybe(list) = None
    Subnets: Maybe(list) = None


class Model(Resource):
    kind: ClassVar[str] = "Model"
    cfn_type: ClassVar[str] = "AWS::SageMaker::Model"
    name_prop: ClassVar[str] = "ModelName"

    ModelName: Text = None
    ExecutionRoleArn: Text = None
    PrimaryContainer: Maybe(Container) = None
    Containers: Maybe(list[Container]) = None
    VpcConfig: Maybe(VpcConfigSpec) = None
    EnableNetworkIsolation: Flag = None
    InferenceExecutionConfig: Maybe(Part) = None

    def containers(self) -> Iterator[tuple[tuple, Any]]:
        """(property path, container) for every container, in order; a
        container list that is unknown is yielded as the unknown."""
        if self.PrimaryContainer is not None:
            yield ("PrimaryContainer",), self.PrimaryContainer
        if isinstance(self.Containers, list):
            for i, c in enumerate(self.Containers):
                yield ("Containers", i), c
        elif self.Containers is not None:
            yield ("Containers",), self.Containers


class ServerlessSpec(Part):
    MemorySizeInMB: Num = None
    MaxConcurrency: Num = None
    ProvisionedConcurrency: Num = None


class ProductionVariant(Part):
    VariantName: Text = None
    ModelName: Text = None
    InstanceType: Text = None
    InitialInstanceCount: Num = None
    InitialVariantWeight: Num = None
    ServerlessConfig: Maybe(ServerlessSpec) = None
    AcceleratorType: Text = None
    ManagedInstanceScaling: Maybe(Part) = None
    RoutingConfig: Maybe(Part) = None

    @property
    def is_serverless(self) -> bool:
        return self.ServerlessConfig is not None

    def managed_min(self) -> Any:
        """``ManagedInstanceScaling.MinInstanceCount`` when managed scaling is
        enabled; None when it is not; the unknown when it cannot be told."""
        mis = self.ManagedInstanceScaling
        if mis is None:
            return None
        if not isinstance(mis, Part):
            return mis
        status = getattr(mis, "Status", None)
        if status is not None and not isinstance(status, str):
            return status
        if status != "ENABLED":
            return None
        return getattr(mis, "MinInstanceCount", None)


class DataCaptureSpec(Part):
    EnableCapture: Flag = None
    InitialSamplingPercentage: Num = None
    DestinationS3Uri: Text = None
    KmsKeyId: Text = None
    CaptureOptions: Maybe(list) = None


class AsyncNotificationConfig(Part):
    SuccessTopic: Text = None
    ErrorTopic: Text = None
    IncludeInferenceResponseIn: Maybe(list) = None


class AsyncOutputConfig(Part):
    S3OutputPath: Text = None
    S3FailurePath: Text = None
    KmsKeyId: Text = None
    NotificationConfig: Maybe(AsyncNotificationConfig) = None


class AsyncInferenceSpec(Part):
    OutputConfig: Maybe(AsyncOutputConfig) = None
    ClientConfig: Maybe(Part) = None  # MaxConcurrentInvocationsPerInstance


class EndpointConfig(Resource):
    kind: ClassVar[str] = "EndpointConfig"
    cfn_type: ClassVar[str] = "AWS::SageMaker::EndpointConfig"
    name_prop: ClassVar[str] = "EndpointConfigName"

    EndpointConfigName: Text = None
    ProductionVariants: Maybe(list[ProductionVariant]) = None
    ShadowProductionVariants: Maybe(list[ProductionVariant]) = None
    DataCaptureConfig: Maybe(DataCaptureSpec) = None
    KmsKeyId: Text = None
    AsyncInferenceConfig: Maybe(AsyncInferenceSpec) = None
    ExplainerConfig: Maybe(Part) = None
    EnableNetworkIsolation: Flag = None
    VpcConfig: Maybe(VpcConfigSpec) = None

    def variants(self) -> list[tuple[tuple, ProductionVariant]]:
        """(path, variant) for every production variant. When the list itself
        is unknown there are none, and the verdict being made turns unknown
        (``values.unknown_items``): no rule passes over variants it never saw."""
        return self._list("ProductionVariants", "production variants")

    def shadow_variants(self, decides: bool = True) -> list[tuple[tuple, ProductionVariant]]:
        """As ``variants()``; ``decides`` False when the caller's verdict does
        not depend on the shadows (an unknown list then changes nothing)."""
        return self._list("ShadowProductionVariants", "shadow variants", decides)

    def all_variants(self) -> list[tuple[tuple, ProductionVariant]]:
        """Production then shadow variants: everything that runs a model."""
        return self.variants() + self.shadow_variants()

    def known_variants(self) -> list[tuple[tuple, ProductionVariant]]:
        """Every variant that is known (indexes: they report nothing)."""
        out = []
        for attr in ("ProductionVariants", "ShadowProductionVariants"):
            vs = getattr(self, attr)
            if isinstance(vs, list):
                out += [((attr, i), v) for i, v in enumerate(vs)]
        return out

    def _list(self, attr: str, words: str, decides: bool = True) -> list[tuple[tuple, ProductionVariant]]:
        vs = getattr(self, attr)
        if isinstance(vs, list):
            return [((attr, i), v) for i, v in enumerate(vs)]
        if isinstance(vs, UNKNOWN_TYPES) and decides:
            return unknown_items(self, (attr,), f"the {words} of endpoint config {self.label}", vs)
        return []


class CanarySizeSpec(Part):
    Type: Text = None  # INSTANCE_COUNT | CAPACITY_PERCENT
    Value: Num = None


class TrafficRoutingSpec(Part):
    Type: Text = None  # ALL_AT_ONCE | CANARY | LINEAR
    WaitIntervalInSeconds: Num = None
    CanarySize: Maybe(CanarySizeSpec) = None
    LinearStepSize: Maybe(CanarySizeSpec) = None


class BlueGreenSpec(Part):
    TrafficRoutingConfiguration: Maybe(TrafficRoutingSpec) = None
    TerminationWaitInSeconds: Num = None
    MaximumExecutionTimeoutInSeconds: Num = None


class AutoRollbackSpec(Part):
    Alarms: Maybe(list) = None  # [{AlarmName: ...}]


class DeploymentSpec(Part):
    BlueGreenUpdatePolicy: Maybe(BlueGreenSpec) = None
    RollingUpdatePolicy: Maybe(Part) = None
    AutoRollbackConfiguration: Maybe(AutoRollbackSpec) = None


class VariantSummary(Part):
    """Live endpoint state of one variant (DescribeEndpoint)."""

    VariantName: Text = None
    CurrentWeight: Num = None
    DesiredWeight: Num = None
    CurrentInstanceCount: Num = None
    DesiredInstanceCount: Num = None
    DeployedImages: Maybe(list) = None
    CurrentServerlessConfig: Maybe(Part) = None


class Endpoint(Resource):
    kind: ClassVar[str] = "Endpoint"
    cfn_type: ClassVar[str] = "AWS::SageMaker::Endpoint"
    name_prop: ClassVar[str] = "EndpointName"

    EndpointName: Text = None
    EndpointConfigName: Text = None
    DeploymentConfig: Maybe(DeploymentSpec) = None
    RetainAllVariantProperties: Flag = None
    # live only
    EndpointStatus: Text = None
    CreationTime: Text = None  # ISO 8601
    LastModifiedTime: Text = None
    ProductionVariants: Maybe(list[VariantSummary]) = None

    def live_variant(self, name: Any) -> Optional[VariantSummary]:
        if isinstance(self.ProductionVariants, list):
            for v in self.ProductionVariants:
                if same(v.VariantName, name):
                    return v
        return None


class InferenceComponent(Resource):
    """A model hosted on an endpoint's variant as copies (the variant itself
    names no model). Live ``RuntimeConfig`` reports Desired/CurrentCopyCount;
    a template sets ``CopyCount``."""

    kind: ClassVar[str] = "InferenceComponent"
    cfn_type: ClassVar[str] = "AWS::SageMaker::InferenceComponent"
    name_prop: ClassVar[str] = "InferenceComponentName"

    InferenceComponentName: Val = None
    EndpointName: Val = None
    VariantName: Val = None
    Specification: Maybe(Part) = None  # {ModelName | Container, ComputeResourceRequirements ...}
    RuntimeConfig: Maybe(Part) = None  # {CopyCount} / live {DesiredCopyCount, CurrentCopyCount}
    InferenceComponentStatus: Val = None  # live

    def own_container(self) -> Any:
        """``Specification.Container`` when the component runs a container of
        its own; None when it runs a model or adapts a base component (those
        are judged themselves) or names no container; an unknown
        specification as it is."""
        spec = self.Specification
        if isinstance(spec, UNKNOWN_TYPES):
            return spec
        if prop(spec, "ModelName") is not None or prop(spec, "BaseInferenceComponentName") is not None:
            return None
        return prop(spec, "Container")

    def copies(self) -> Any:
        """The copies it runs: live current count, else the template's CopyCount."""
        rc = self.RuntimeConfig
        if rc is None or not isinstance(rc, Part):
            return rc
        for key in ("CurrentCopyCount", "CopyCount", "DesiredCopyCount"):
            v = getattr(rc, key, None)
            if v is not None:
                return v
        return None


class TransformJob(Resource):
    """A batch transform job (live: the recent ones, SM503's window)."""

    kind: ClassVar[str] = "TransformJob"
    cfn_type: ClassVar[str] = "AWS::SageMaker::TransformJob"
    name_prop: ClassVar[str] = "TransformJobName"

    TransformJobName: Val = None
    TransformJobStatus: Val = None
    ModelName: Val = None
    TransformOutput: Maybe(Part) = None  # {S3OutputPath, KmsKeyId}
    TransformResources: Maybe(Part) = None  # {InstanceType, InstanceCount, VolumeKmsKeyId}
    CreationTime: Val = None


class ModelPackage(Resource):
    kind: ClassVar[str] = "ModelPackage"
    cfn_type: ClassVar[str] = "AWS::SageMaker::ModelPackage"
    name_prop: ClassVar[str] = "ModelPackageName"

    ModelPackageName: Text = None
    ModelPackageArn: Text = None
    ModelPackageGroupName: Text = None
    ModelPackageVersion: Num = None
    ModelApprovalStatus: Text = None
    ModelMetrics: Maybe(Part) = None
    InferenceSpecification: Maybe(Part) = None

    def is_referenced_by(self, value: Any) -> bool:
        if isinstance(value, str) and value in (self.ModelPackageArn, self.meta.arn):
            return True
        return super().is_referenced_by(value)


class ModelPackageGroup(Resource):
    kind: ClassVar[str] = "ModelPackageGroup"
    cfn_type: ClassVar[str] = "AWS::SageMaker::ModelPackageGroup"
    name_prop: ClassVar[str] = "ModelPackageGroupName"

    ModelPackageGroupName: Text = None


class MonitoringSchedule(Resource):
    kind: ClassVar[str] = "MonitoringSchedule"
    cfn_type: ClassVar[str] = "AWS::SageMaker::MonitoringSchedule"
    name_prop: ClassVar[str] = "MonitoringScheduleName"

    MonitoringScheduleName: Text = None
    MonitoringScheduleConfig: Maybe(Part) = None
    EndpointName: Text = None
    MonitoringType: Text = None  # live summary; CFN: in MonitoringScheduleConfig
    MonitoringScheduleStatus: Text = None


class MonitoringJobDefinition(Resource):
    """Data quality / model quality / bias / explainability job definitions."""

    kind: ClassVar[str] = "MonitoringJobDefinition"
    cfn_type: ClassVar[str] = "AWS::SageMaker::DataQualityJobDefinition"
    name_prop: ClassVar[str] = "JobDefinitionName"

    JobDefinitionName: Text = None
    monitoring_type: str = "DataQuality"  # DataQuality|ModelQuality|ModelBias|ModelExplainability


# ---- autoscaling ----------------------------------------------------------


class ScalableTarget(Resource):
    kind: ClassVar[str] = "ScalableTarget"
    cfn_type: ClassVar[str] = "AWS::ApplicationAutoScaling::ScalableTarget"

    ServiceNamespace: Text = None
    ResourceId: Text = None
    ScalableDimension: Text = None
    MinCapacity: Num = None
    MaxCapacity: Num = None
    RoleARN: Text = None
    SuspendedState: Maybe(Part) = None


class TargetTrackingConfig(Part):
    TargetValue: Num = None
    PredefinedMetricSpecification: Maybe(Part) = None
    CustomizedMetricSpecification: Maybe(Part) = None
    ScaleInCooldown: Num = None
    ScaleOutCooldown: Num = None
    DisableScaleIn: Flag = None


class ScalingPolicy(Resource):
    kind: ClassVar[str] = "ScalingPolicy"
    cfn_type: ClassVar[str] = "AWS::ApplicationAutoScaling::ScalingPolicy"
    name_prop: ClassVar[str] = "PolicyName"

    PolicyName: Text = None
    PolicyType: Text = None
    ServiceNamespace: Text = None
    ResourceId: Text = None
    ScalableDimension: Text = None
    ScalingTargetId: Text = None
    TargetTrackingScalingPolicyConfiguration: Maybe(TargetTrackingConfig) = None
    StepScalingPolicyConfiguration: Maybe(Part) = None


# ---- CloudWatch -----------------------------------------------------------


class Alarm(Resource):
    kind: ClassVar[str] = "Alarm"
    cfn_type: ClassVar[str] = "AWS::CloudWatch::Alarm"
    name_prop: ClassVar[str] = "AlarmName"

    AlarmName: Text = None
    Namespace: Text = None
    MetricName: Text = None
    Statistic: Text = None
    ExtendedStatistic: Text = None
    Dimensions: Maybe(list) = None  # [{Name, Value}]
    Metrics: Maybe(list) = None  # metric math
    Threshold: Num = None
    ComparisonOperator: Text = None
    AlarmActions: Maybe(list) = None
    StateValue: Text = None  # live

    def dimension(self, name: str) -> Any:
        if isinstance(self.Dimensions, list):
            for d in self.Dimensions:
                if isinstance(d, dict) and d.get("Name") == name:
                    return d.get("Value")
        return None


class Dashboard(Resource):
    kind: ClassVar[str] = "Dashboard"
    cfn_type: ClassVar[str] = "AWS::CloudWatch::Dashboard"
    name_prop: ClassVar[str] = "DashboardName"

    DashboardName: Text = None
    DashboardBody: Text = None


class LogGroup(Resource):
    kind: ClassVar[str] = "LogGroup"
    cfn_type: ClassVar[str] = "AWS::Logs::LogGroup"
    name_prop: ClassVar[str] = "LogGroupName"

    LogGroupName: Text = None
    KmsKeyId: Text = None
    RetentionInDays: Num = None


# ---- S3, network, IAM, audit ------------------------------------------------


class Bucket(Resource):
    kind: ClassVar[str] = "Bucket"
    cfn_type: ClassVar[str] = "AWS::S3::Bucket"
    name_prop: ClassVar[str] = "BucketName"

    BucketName: Text = None
    VersioningConfiguration: Maybe(Part) = None  # {Status: Enabled|Suspended}
    BucketEncryption: Maybe(Part) = None  # {ServerSideEncryptionConfiguration: [...]}


class Subnet(Resource):
    kind: ClassVar[str] = "Subnet"
    cfn_type: ClassVar[str] = "AWS::EC2::Subnet"
    name_prop: ClassVar[str] = "SubnetId"

    SubnetId: Text = None
    VpcId: Text = None
    AvailabilityZone: Text = None
    AvailabilityZoneId: Text = None


class VpcEndpoint(Resource):
    kind: ClassVar[str] = "VpcEndpoint"
    cfn_type: ClassVar[str] = "AWS::EC2::VPCEndpoint"

    VpcEndpointId: Text = None
    ServiceName: Text = None
    VpcId: Text = None
    VpcEndpointType: Text = None
    SubnetIds: Maybe(list) = None


class IamPolicy(Resource):
    """A policy document: a managed policy, a role's inline policy, or a
    standalone AWS::IAM::Policy. ``attached_to`` names roles/users/groups."""

    kind: ClassVar[str] = "IamPolicy"
    cfn_type: ClassVar[str] = "AWS::IAM::Policy"
    name_prop: ClassVar[str] = "PolicyName"

    PolicyName: Text = None
    PolicyDocument: Maybe(dict) = None
    Roles: Maybe(list) = None
    Users: Maybe(list) = None
    Groups: Maybe(list) = None

    def statements(self) -> list[tuple[tuple, Any]]:
        doc = self.PolicyDocument
        if not isinstance(doc, dict):
            return []
        st = doc.get("Statement")
        if isinstance(st, dict):
            return [(("PolicyDocument", "Statement"), st)]
        if isinstance(st, list):
            return [(("PolicyDocument", "Statement", i), s) for i, s in enumerate(st)]
        if isinstance(st, UNKNOWN_TYPES):  # the verdict that reads them is unknown
            return unknown_items(self, ("PolicyDocument", "Statement"), f"the statements of policy {self.label}", st)
        return []


class IamRole(Resource):
    kind: ClassVar[str] = "IamRole"
    cfn_type: ClassVar[str] = "AWS::IAM::Role"
    name_prop: ClassVar[str] = "RoleName"

    RoleName: Text = None
    Arn: Text = None
    AssumeRolePolicyDocument: Maybe(dict) = None
    ManagedPolicyArns: Maybe(list) = None
    Policies: Maybe(list) = None  # inline: [{PolicyName, PolicyDocument}]

    def is_referenced_by(self, value: Any) -> bool:
        if isinstance(value, str) and self.Arn and value == self.Arn:
            return True
        if isinstance(value, str) and isinstance(self.RoleName, str) and value.endswith(":role/" + self.RoleName):
            return True
        return super().is_referenced_by(value)


class Trail(Resource):
    kind: ClassVar[str] = "Trail"
    cfn_type: ClassVar[str] = "AWS::CloudTrail::Trail"
    name_prop: ClassVar[str] = "TrailName"

    TrailName: Text = None
    IsLogging: Flag = None
    IsMultiRegionTrail: Flag = None
    S3BucketName: Text = None
    EventSelectors: Maybe(list) = None
    AdvancedEventSelectors: Maybe(list) = None
    HomeRegion: Text = None


class Account(Resource):
    """An AWS account, as the resource of account-level verdicts (no
    collector or loader makes one; rules name it in ``check_inventory``)."""

    kind: ClassVar[str] = "Account"
    cfn_type: ClassVar[str] = "AWS::::Account"


# ---- live-only facts --------------------------------------------------------


class MetricSeries(BaseModel):
    """One CloudWatch metric of one endpoint variant over the rule's window."""

    namespace: str = "AWS/SageMaker"
    metric: str  # Invocations, CPUUtilization, GPUUtilization ...
    stat: str = "Sum"
    endpoint: str
    variant: Optional[str] = None
    account: Optional[str] = None
    region: Optional[str] = None
    period: int = 3600
    start: str = ""  # ISO 8601
    end: str = ""
    timestamps: list[str] = Field(default_factory=list)
    values: list[float] = Field(default_factory=list)


RESOURCE_TYPES: tuple[type[Resource], ...] = (
    Model,
    EndpointConfig,
    Endpoint,
    InferenceComponent,
    TransformJob,
    ModelPackage,
    ModelPackageGroup,
    MonitoringSchedule,
    MonitoringJobDefinition,
    ScalableTarget,
    ScalingPolicy,
    Alarm,
    Dashboard,
    LogGroup,
    Bucket,
    Subnet,
    VpcEndpoint,
    IamPolicy,
    IamRole,
    Trail,
)
KINDS: dict[str, type[Resource]] = {t.kind: t for t in RESOURCE_TYPES}
