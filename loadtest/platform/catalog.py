"""The case types offered to residents (the Open311 service list). Data only.

Kept apart from the code so that it can later be generated from a scenario's workload
taxonomy; the REST API itself accepts any case type.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceType:
    """One case type as an Open311 service."""

    code: str
    name: str
    description: str
    group: str
    keywords: tuple[str, ...]
    notice: str  # what the platform will do, returned as Open311 service_notice


SERVICES: tuple[ServiceType, ...] = (
    ServiceType(
        "city.litter",
        "乱扔垃圾",
        "公共区域垃圾堆放、乱扔垃圾",
        "城市管理",
        ("垃圾", "环境卫生"),
        "网格员将在巡查中核实并处置",
    ),
    ServiceType(
        "city.road_damage",
        "道路破损",
        "路面坑洼、井盖缺失、人行道破损",
        "城市管理",
        ("道路", "井盖"),
        "核实后分流至城管部门处置",
    ),
    ServiceType(
        "city.illegal_parking",
        "违章停车",
        "占用消防通道、人行道停车",
        "城市管理",
        ("停车", "消防通道"),
        "核实后分流至相关部门处置",
    ),
    ServiceType(
        "env.noise",
        "噪声扰民",
        "施工、商铺、娱乐场所噪声扰民",
        "生态环境",
        ("噪声", "扰民"),
        "网格员核实后协调处置",
    ),
    ServiceType(
        "safety.fire_hazard",
        "消防隐患",
        "楼道堆物、私拉电线、电动车室内充电",
        "隐患排查",
        ("消防", "隐患", "电动车"),
        "优先处置，必要时上报街道（乡镇）",
    ),
    ServiceType(
        "dispute.neighbour",
        "邻里纠纷",
        "邻里、家庭、物业纠纷",
        "矛盾排查化解",
        ("纠纷", "调解"),
        "网格员首接初办，调解不成上报",
    ),
    ServiceType(
        "population.rental",
        "出租房屋信息",
        "出租房屋及流动人口信息登记变更",
        "信息采集维护",
        ("出租房", "流动人口"),
        "网格员入户核实登记",
    ),
    ServiceType(
        "service.elderly",
        "为老服务",
        "独居、空巢老人关爱帮扶需求",
        "为民代办服务",
        ("老人", "帮扶"),
        "网格员走访并代办",
    ),
    ServiceType(
        "security.fraud",
        "电信诈骗线索",
        "疑似电信网络诈骗线索与宣传需求",
        "社会治安巡防",
        ("反诈", "诈骗"),
        "核实后分流至公安部门",
    ),
    ServiceType(
        "market.vendor",
        "占道经营",
        "无证摊贩、占道经营",
        "城乡治理协管",
        ("摊贩", "占道"),
        "核实后分流至市场监管或城管部门",
    ),
)

BY_CODE: dict[str, ServiceType] = {s.code: s for s in SERVICES}
