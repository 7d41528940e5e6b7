"""Demo events: one past salon and one upcoming summit, as plain data for the demo builder.

This module holds data only. Times are local (Asia/Shanghai) ISO strings without offset. The
people, venues and organisations are fictional and say so; online links are example.com
placeholders. The past salon has a recap but no recording (we have no real video). Each
material's ``slides_html`` is a short deck, one ``<section>`` per slide, which the builder
renders to a PDF document with WeasyPrint.

Keys of an event: slug, title, kind (salon | summit), start, end, city, venue, online_url,
intro, speakers [{name, title, bio}], agenda [{time "HH:MM", title, speaker, description}]
(speaker is "" for breaks, or several names joined by "、"), materials [{title, slides_html}]
and recap (HTML, "" for upcoming events).
"""

from __future__ import annotations

EventSpec = dict  # the keys of an event, listed in the module docstring

FICTION_NOTE = "本页人物、机构和案例均为演示用虚构内容。"

_SALON_SLIDES_LAW = (
    "<section><h1>新旧《治安管理处罚法》：催收相关条文对照</h1>"
    "<p>阳光催收实务沙龙 · 2026年9月19日 · 上海</p>"
    "<p>讲者：孟清岚（虚构人物）｜演示材料</p></section>"
    "<section><h2>为什么要重新学条文序号</h2><ul>"
    "<li>2025年6月27日修订，2026年1月1日起施行</li>"
    "<li>条文序号整体调整，旧材料中的序号需要“翻译”</li>"
    "<li>罚款幅度普遍提高</li></ul></section>"
    "<section><h2>与催收最相关的五组对照</h2><ul>"
    "<li>寻衅滋事：旧第二十六条 → 新第三十条</li>"
    "<li>限制人身自由、侵入住宅：旧第四十条 → 新第四十七条</li>"
    "<li>威胁、侮辱、滋扰：旧第四十二条 → 新第五十条</li>"
    "<li>殴打、伤害：旧第四十三条 → 新第五十一条</li>"
    "<li>敲诈勒索：旧第四十九条 → 新第五十八条</li></ul>"
    "<p>新增：第五十六条（出售、提供、非法获取个人信息）</p></section>"
    "<section><h2>第五十条的三个变化</h2><ol>"
    "<li>明确写入滋扰、纠缠、跟踪等方法</li>"
    "<li>新增禁止接触措施，违反的再行处罚</li>"
    "<li>基本罚款幅度由五百元以下提高到一千元以下</li></ol></section>"
    "<section><h2>给一线团队的三点建议</h2><ul>"
    "<li>话术库和质检规则统一改用新序号</li>"
    "<li>复盘联系频率：对方承诺还款后，约定时间前不再重复来电</li>"
    "<li>外访：被要求离开，立即离开</li></ul>"
    "<p>条文原文请以阳光学堂法规库和国家法律法规数据库为准。</p>"
    "</section>"
)

_SALON_SLIDES_COMPLAINTS = (
    "<section><h1>从投诉溯源看话术风险</h1>"
    "<p>阳光催收实务沙龙 · 2026年9月19日 · 上海</p>"
    "<p>讲者：夏知合（虚构人物）｜演示材料，案例均已虚构化处理</p>"
    "</section>"
    "<section><h2>投诉最集中的三类话术</h2><ol>"
    "<li>暗示人身危险：“我们知道你住哪儿”</li>"
    "<li>借第三人施压：“再不还就打给你单位领导”</li>"
    "<li>夸大后果：“一辈子贷不了款”“马上就要坐牢”</li></ol></section>"
    "<section><h2>质检时怎么判断</h2><ul>"
    "<li>有没有威胁、贬损或虚构的内容</li>"
    "<li>有没有向第三人透露债务信息</li>"
    "<li>对方承诺还款后，联系频率是否合理</li>"
    "<li>对方情绪激动时，有没有先降温</li></ul></section>"
    "<section><h2>替代话术</h2><ul>"
    "<li>“逾期信息可能会按规定报送征信系统。”</li>"
    "<li>“麻烦您转告他回电，谢谢。”</li>"
    "<li>“听得出来您很着急，我们约个时间再谈。”</li></ul></section>"
)

_SUMMIT_PREVIEW_SLIDES = (
    "<section><h1>2027 阳光催收合规峰会</h1>"
    "<p>2027年3月26日 · 深圳 · 同步线上直播</p>"
    "<p>会前学习指引｜演示材料，嘉宾均为虚构人物</p></section>"
    "<section><h2>峰会的三个关键词</h2><ul>"
    "<li>合法：守住刑法、治安管理处罚法和个人信息保护的红线</li>"
    "<li>透明：表明身份、说明来意、如实告知</li>"
    "<li>尊重：先处理情绪，再处理事情</li></ul></section>"
    "<section><h2>会前请先完成的课程</h2><ul>"
    "<li>《新〈治安管理处罚法〉：催收行为的行政红线》</li>"
    "<li>《个人信息保护：催收中的数据合规》</li>"
    "<li>《沟通降级：把冲突变成对话》</li></ul></section>"
    "<section><h2>带着这些问题参会</h2><ol>"
    "<li>你的团队如何确认“联系频率合理”？</li>"
    "<li>联系不上债务人时，哪些做法可以用、哪些不能用？</li>"
    "<li>遇到流露轻生念头的债务人，你的团队有没有应急流程？</li></ol>"
    "</section>"
)

_SALON_RECAP = (
    "<p>2026年9月19日下午，阳光催收实务沙龙在上海举行。"
    "来自银行信用卡中心、消费金融公司、"
    "催收机构和律师事务所的从业者围绕新《治安管理处罚法》施行后的催收"
    "边界展开讨论。"
    "（本页为演示内容，人物、机构和数据均为虚构。）</p>"
    "<h3>主要观点</h3><ul>"
    "<li><b>先改序号，再改习惯。</b>孟清岚律师建议各团队把话术库、"
    "质检规则和培训材料中的旧条文序号"
    "统一更新为2025年修订版，并重点学习第五十条新增的滋扰、纠缠、"
    "跟踪和禁止接触措施。</li>"
    "<li><b>投诉是最好的质检样本。</b>"
    "夏知合经理分享了投诉溯源中最常见的三类话术：暗示人身危险、"
    "借第三人施压和夸大后果，并给出了对应的替代说法。</li>"
    "<li><b>外访要“能进能退”。</b>圆桌讨论中，"
    "嘉宾一致认为外访并非不能做，但必须经过审批、两人同行、"
    "表明身份，被要求离开时立即离开。</li>"
    "<li><b>降温比说服更重要。</b>程予安总监介绍了团队推行“停、认、复、"
    "转”四步降温法后，"
    "通话中的冲突明显减少的经验。</li></ul>"
    "<h3>会后资料</h3>"
    "<p>两份讲义可在本页“活动资料”中下载。本次活动未录像。"
    "相关内容已纳入阳光学堂课程"
    "《新〈治安管理处罚法〉：催收行为的行政红线》和《沟通降级："
    "把冲突变成对话》。</p>"
)

EVENTS: list[EventSpec] = [
    {
        "slug": "sunshine-salon-2026-09-shanghai",
        "title": "阳光催收实务沙龙：新《治安管理处罚法》施行后的催收边界",
        "kind": "salon",
        "start": "2026-09-19T14:00",
        "end": "2026-09-19T17:30",
        "city": "上海",
        "venue": "上海市静安区（演示地址）阳光学堂线下学习中心 3 楼多功能厅",
        "online_url": "",
        "intro": (
            "2025年修订的《治安管理处罚法》自2026年1月1日起施行，"
            "条文序号整体调整，"
            "并对滋扰、纠缠、跟踪等行为作出了更明确的规定。新法施行大半年，"
            "一线催收团队在电话、"
            "短信和外访中遇到了哪些新问题？本次沙龙邀请合规、"
            "法律和一线管理人员，"
            "结合虚构化处理的案例，讨论新法下的催收边界和话术调整。" + FICTION_NOTE
        ),
        "speakers": [
            {
                "name": "孟清岚",
                "title": "律师（虚构人物）",
                "bio": "执业方向为金融消费者权益保护与个人信息保护，"
                "长期为金融机构和催收机构提供"
                "合规培训。本页人物为演示用虚构人物。",
            },
            {
                "name": "夏知合",
                "title": "某股份制银行信用卡中心合规经理（虚构人物）",
                "bio": "负责信用卡委托催收的合规检查与投诉溯源，关注话术管理和录音质检。"
                "本页人物为演示用虚构人物。",
            },
            {
                "name": "程予安",
                "title": "催收机构运营总监（虚构人物）",
                "bio": "从一线催收员做起，现负责一支三百人团队的运营与质量管理，"
                "推动团队建立“沟通降级”话术库。本页人物为演示用虚构人物。",
            },
        ],
        "agenda": [
            {
                "time": "14:00",
                "title": "开场：新法施行大半年，一线看到了什么",
                "speaker": "程予安",
                "description": "主持人介绍沙龙议程和讨论规则，并分享团队在新法施行后的观察。",
            },
            {
                "time": "14:20",
                "title": "新旧条文对照：从第四十二条到第五十条",
                "speaker": "孟清岚",
                "description": "逐项对照2012年修正版与2025年修订版中与催收相关的条文，"
                "重点解读滋扰、纠缠、跟踪和禁止接触措施。",
            },
            {
                "time": "15:00",
                "title": "从投诉溯源看话术风险",
                "speaker": "夏知合",
                "description": "结合虚构化处理的投诉案例，分析哪些说法最容易被认定为威胁、骚扰"
                "或向第三人催收，并给出替代话术。",
            },
            {
                "time": "15:40",
                "title": "茶歇与自由交流",
                "speaker": "",
                "description": "",
            },
            {
                "time": "16:00",
                "title": "圆桌讨论：外访还能不能做、怎么做",
                "speaker": "孟清岚、夏知合、程予安",
                "description": (
                    "围绕外访审批、人身自由和住宅安宁的边界、被要求离开时的处置展开讨论。"
                ),
            },
            {
                "time": "17:00",
                "title": "现场问答与总结",
                "speaker": "程予安",
                "description": "回答现场提问，总结本次沙龙的要点。",
            },
        ],
        "materials": [
            {
                "title": "讲义：新旧《治安管理处罚法》催收相关条文对照",
                "slides_html": _SALON_SLIDES_LAW,
            },
            {"title": "讲义：从投诉溯源看话术风险", "slides_html": _SALON_SLIDES_COMPLAINTS},
        ],
        "recap": _SALON_RECAP,
    },
    {
        "slug": "sunshine-compliance-summit-2027-shenzhen",
        "title": "2027 阳光催收合规峰会",
        "kind": "summit",
        "start": "2027-03-26T09:00",
        "end": "2027-03-26T17:30",
        "city": "深圳",
        "venue": "深圳市福田区（演示地址）阳光会议中心 2 楼主会场",
        "online_url": "https://example.com/live/sunshine-summit-2027",
        "intro": (
            "一年一度的阳光催收合规峰会将于2027年3月26日在深圳举行，"
            "并同步线上直播。"
            "峰会围绕“合法、透明、尊重”三个关键词，邀请金融法研究、金融机构、"
            "催收机构和心理服务"
            "领域的嘉宾，讨论新《治安管理处罚法》施行一年来的合规实践、"
            "个人信息保护在催收中的落地，"
            "以及如何用沟通降级技巧减少冲突和投诉。" + FICTION_NOTE
        ),
        "speakers": [
            {
                "name": "白立衡",
                "title": "金融法研究学者（虚构人物）",
                "bio": "研究方向为金融消费者保护与金融监管，关注委托催收中的责任分配问题。"
                "本页人物为演示用虚构人物。",
            },
            {
                "name": "孟清岚",
                "title": "律师（虚构人物）",
                "bio": "执业方向为金融消费者权益保护与个人信息保护，"
                "长期为金融机构和催收机构提供"
                "合规培训。本页人物为演示用虚构人物。",
            },
            {
                "name": "骆映川",
                "title": "某消费金融公司消费者权益保护部负责人（虚构人物）",
                "bio": "负责合作催收机构的准入、质检与投诉处理，推动“联系频率”"
                "和“第三人沟通”"
                "两项内部标准落地。本页人物为演示用虚构人物。",
            },
            {
                "name": "苏和煦",
                "title": "心理咨询师、危机干预培训师（虚构人物）",
                "bio": "为客服和催收团队提供情绪管理与危机识别培训，"
                "关注一线员工的心理支持。"
                "本页人物为演示用虚构人物。",
            },
            {
                "name": "程予安",
                "title": "催收机构运营总监（虚构人物）",
                "bio": "从一线催收员做起，现负责一支三百人团队的运营与质量管理，"
                "推动团队建立“沟通降级”话术库。本页人物为演示用虚构人物。",
            },
        ],
        "agenda": [
            {"time": "09:00", "title": "签到", "speaker": "", "description": ""},
            {
                "time": "09:30",
                "title": "开幕致辞",
                "speaker": "程予安",
                "description": "介绍峰会议程，回顾阳光催收实务沙龙的讨论成果。",
            },
            {
                "time": "09:45",
                "title": "主旨演讲：外包不转移责任——委托催收的责任链条",
                "speaker": "白立衡",
                "description": "从委托方、催收机构和催收员三个层面，梳理委托催收中的责任分配和"
                "管理要求。",
            },
            {
                "time": "10:30",
                "title": "新《治安管理处罚法》施行一年：合规观察",
                "speaker": "孟清岚",
                "description": "结合虚构化处理的案例，讨论第四十七条、第五十条、第五十六条"
                "在催收场景中的适用，以及团队合规制度的调整。",
            },
            {
                "time": "11:15",
                "title": "个人信息保护在催收中的落地：从联系人到失联修复",
                "speaker": "骆映川",
                "description": "分享对第三人沟通、失联修复和数据安全的内部标准与检查方法。",
            },
            {"time": "12:00", "title": "午餐与交流", "speaker": "", "description": ""},
            {
                "time": "13:30",
                "title": "工作坊：当债务人发火时——沟通降级演练",
                "speaker": "苏和煦",
                "description": "分组角色扮演，练习“停、认、复、转”四步降温法和设定边界的说法。"
                "线上观众可观看示范环节。",
            },
            {"time": "15:00", "title": "茶歇", "speaker": "", "description": ""},
            {
                "time": "15:20",
                "title": "圆桌：阳光催收的下一步",
                "speaker": "白立衡、骆映川、程予安",
                "description": "讨论质检标准、投诉处理和一线员工培训如何形成闭环。",
            },
            {
                "time": "16:30",
                "title": "危机信号识别与转介",
                "speaker": "苏和煦",
                "description": "债务人流露轻生念头时，催收员和主管分别应当做什么。",
            },
            {
                "time": "17:10",
                "title": "闭幕总结",
                "speaker": "程予安",
                "description": "总结峰会要点，介绍会后学习安排。",
            },
        ],
        "materials": [
            {"title": "会前学习指引", "slides_html": _SUMMIT_PREVIEW_SLIDES},
        ],
        "recap": "",
    },
]
