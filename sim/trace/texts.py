"""Chinese text the payloads are drawn from: report descriptions per case type, results,
notes and explanations. Synthetic and generic; nothing here is about a real place or person.

Descriptions are ``template × place × tail`` so each case type gets a few hundred variants.
A template may hold ``{place}``; a type key missing here (a workload of one's own) falls back
to :data:`GENERIC` with the type's Chinese name.
"""

from __future__ import annotations

PLACES_URBAN = ("小区门口", "3号楼楼下", "沿街商铺前", "小区广场", "菜市场旁", "地下车库入口",
                "背街小巷", "公交站附近")
PLACES_RURAL = ("村口", "村委会附近", "村道旁", "文化广场", "集市上", "河边", "老街",
                "小学门口")
TAILS = ("", "，请尽快处理", "，希望尽快解决", "，请相关部门关注", "，影响居民生活")

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "info_population": ("{place}有住户新迁入，需登记人口信息", "{place}有租户搬离，人口信息需更新",
                        "{place}一户家庭新生儿信息待采集", "{place}出租房新增租住人员未登记"),
    "security_public_order": ("{place}夜间有可疑人员逗留", "{place}监控探头损坏，存在治安隐患",
                              "{place}近期电动车被盗多发", "{place}有人聚集酗酒滋事"),
    "facility_damage": ("{place}路灯损坏不亮", "{place}井盖破损，存在安全隐患",
                        "{place}健身器材损坏", "{place}道路破损坑洼积水"),
    "key_person_dynamics": ("{place}重点人员近期情绪不稳定", "{place}重点人员外出未报备",
                            "{place}社区矫正人员近期联系不上"),
    "care_needs": ("{place}独居老人生活困难，需要帮扶", "{place}残疾人家庭申请临时救助",
                   "{place}困难家庭孩子上学有困难", "{place}高龄老人行动不便需要照料"),
    "city_appearance": ("{place}有占道经营，堆放杂物影响通行", "{place}垃圾堆积未及时清运",
                        "{place}乱贴小广告", "{place}车辆乱停乱放堵塞通道",
                        "{place}绿化带被毁种菜"),
    "pollution": ("{place}餐馆油烟扰民", "{place}夜间施工噪音扰民", "{place}有焚烧垃圾现象",
                  "{place}污水外溢有异味"),
    "market_order": ("{place}商户销售过期食品", "{place}流动摊贩无证经营",
                     "{place}商店明码标价不规范", "{place}有人兜售假冒商品"),
    "safety_hazard": ("{place}楼道堆放杂物，存在消防隐患", "{place}有电动车在楼道充电",
                      "{place}私拉电线", "{place}燃气管道老化漏气", "{place}围墙开裂有倒塌危险"),
    "neighbour_dispute": ("{place}邻居因漏水问题发生纠纷", "{place}楼上噪音引发邻里矛盾",
                          "{place}两户因宅基地边界发生争执", "{place}因公共区域占用发生口角"),
    "labour_dispute": ("{place}工地拖欠农民工工资", "{place}一家企业未按时发放工资",
                       "{place}员工与公司因社保缴纳产生纠纷"),
    "proxy_service": ("{place}一位居民申请代办社保卡", "{place}老人需要代办高龄补贴",
                      "{place}一位居民需代办居住证", "{place}村民需代办医保缴费"),
    "opinion_demand": ("{place}居民希望增设停车位", "{place}居民建议老旧楼加装电梯",
                       "{place}居民希望增加公交班次", "{place}居民建议增设垃圾分类点"),
    "policy_publicity": ("{place}需开展防范电信诈骗宣传", "{place}需开展垃圾分类政策宣传",
                         "{place}需宣传城乡居民医保缴费政策", "{place}需开展消防安全知识宣传"),
    "illegal_construction": ("{place}有违章搭建", "{place}有住户顶楼私自加盖",
                             "{place}擅自占用绿地建房", "{place}私自圈占公共用地"),
    "dept_survey_task": ("{place}开展人口抽样调查", "{place}统计辖区经营主体信息",
                         "{place}核查住户燃气使用情况"),
}
GENERIC = ("{place}发现{name}问题", "居民反映{place}存在{name}情况")

RESULTS = {
    "on_spot": ("已现场处置完毕", "经现场协调，问题已解决", "已当场劝导整改到位",
                "已联系相关人员现场解决"),
    "unresolved": ("现场无法解决，已上报", "需相关部门处置，已提交上级",
                   "涉及多方，需上级协调处理"),
    "handled": ("已安排人员处置完毕", "已按规定处理完毕", "经核查已整改到位",
                "已协调相关单位解决"),
    "rework": ("已按核查意见重新整改", "返工处置完成，请再次核查"),
    "verified": ("经现场核查，问题已解决", "核查属实，处置到位", "回访居民，处理结果满意"),
    "failed": ("核查发现整改不到位，需返工", "问题仍然存在，退回重办"),
    "feedback": ("已电话告知反映人处理结果", "已通过平台向反映人反馈", "已上门告知处理情况"),
}
EXPLANATIONS = ("因涉及多个部门协调，未能在时限内办结", "因现场条件限制，处置时间延长",
                "近期案件量大、人手不足，导致超期", "因需等待相关材料，办理时间延长")
SUPERVISION = {
    "yellow": ("该事项已超期，请加快办理", "请于今日内反馈办理进度"),
    "red": ("该事项严重超期，请立即办理并书面说明", "超期未办结，予以红牌督办"),
    "coordination": ("涉及多个部门，提请统筹协调", "需多部门联合处置，启动协调机制"),
}
CHECKIN_NOTES = ("巡查正常", "未发现异常", "环境整洁", "已提醒商户规范经营", "已劝离乱停车辆")
VISIT_NOTES: dict[str, tuple[str, ...]] = {
    "floating_renter": ("核对租住人员信息，已登记", "提醒房东及时申报租住信息"),
    "difficulty": ("了解家庭近况，救助金已按时到账", "家庭生活基本稳定，继续关注"),
    "key_person": ("本人在家，情绪稳定", "了解近期动态，无异常"),
    "elderly_alone": ("老人身体状况良好，生活能自理", "提醒老人注意用电用气安全"),
    "disabled": ("了解康复需求，已登记", "协助申请残疾人补贴"),
}
