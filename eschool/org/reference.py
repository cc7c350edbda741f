"""The fixed vocabulary of Chinese schooling: stages, grades, subjects and their aliases.

The tables are loaded by a data migration; the aliases are how spreadsheets
written by different schools name the same thing. Grade and subject names are
marked with gettext_noop so that English pages can show their translation
(Grade.__str__, Subject.__str__); the data itself stays Chinese.
"""

from django.utils.translation import gettext_noop

from eschool.org.models import Stage

# (level, name, stage)
GRADES = [
    (-2, gettext_noop("幼儿园小班"), Stage.KINDERGARTEN),
    (-1, gettext_noop("幼儿园中班"), Stage.KINDERGARTEN),
    (0, gettext_noop("幼儿园大班"), Stage.KINDERGARTEN),
    (1, gettext_noop("一年级"), Stage.PRIMARY),
    (2, gettext_noop("二年级"), Stage.PRIMARY),
    (3, gettext_noop("三年级"), Stage.PRIMARY),
    (4, gettext_noop("四年级"), Stage.PRIMARY),
    (5, gettext_noop("五年级"), Stage.PRIMARY),
    (6, gettext_noop("六年级"), Stage.PRIMARY),
    (7, gettext_noop("七年级"), Stage.JUNIOR),
    (8, gettext_noop("八年级"), Stage.JUNIOR),
    (9, gettext_noop("九年级"), Stage.JUNIOR),
    (10, gettext_noop("高一"), Stage.SENIOR),
    (11, gettext_noop("高二"), Stage.SENIOR),
    (12, gettext_noop("高三"), Stage.SENIOR),
]

GRADE_ALIASES = {
    "小班": -2,
    "中班": -1,
    "大班": 0,
    "幼小班": -2,
    "幼中班": -1,
    "幼大班": 0,
    "初一": 7,
    "初二": 8,
    "初三": 9,
    "初中一年级": 7,
    "初中二年级": 8,
    "初中三年级": 9,
    "高中一年级": 10,
    "高中二年级": 11,
    "高中三年级": 12,
    "十年级": 10,
    "十一年级": 11,
    "十二年级": 12,
    "小学一年级": 1,
    "小学二年级": 2,
    "小学三年级": 3,
    "小学四年级": 4,
    "小学五年级": 5,
    "小学六年级": 6,
}

SUBJECTS = [
    gettext_noop("语文"),
    gettext_noop("数学"),
    gettext_noop("英语"),
    gettext_noop("物理"),
    gettext_noop("化学"),
    gettext_noop("生物"),
    gettext_noop("历史"),
    gettext_noop("地理"),
    gettext_noop("道德与法治"),
    gettext_noop("思想政治"),
    gettext_noop("科学"),
    gettext_noop("音乐"),
    gettext_noop("美术"),
    gettext_noop("体育与健康"),
    gettext_noop("信息技术"),
    gettext_noop("心理健康"),
    gettext_noop("劳动"),
    gettext_noop("综合实践"),
    gettext_noop("家庭教育"),
]

SUBJECT_ALIASES = {
    "道法": "道德与法治",
    "品德与社会": "道德与法治",
    "政治": "思想政治",
    "体育": "体育与健康",
    "信息": "信息技术",
    "信息科技": "信息技术",
    "心理": "心理健康",
    "综合实践活动": "综合实践",
    "生物学": "生物",
    "English": "英语",
}

STAGE_NAMES = {
    "幼儿园": Stage.KINDERGARTEN,
    "学前": Stage.KINDERGARTEN,
    "小学": Stage.PRIMARY,
    "初中": Stage.JUNIOR,
    "初级中学": Stage.JUNIOR,
    "高中": Stage.SENIOR,
    "高级中学": Stage.SENIOR,
}

PUBLIC_REGION = gettext_noop("公众")
