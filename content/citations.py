"""Keys into the regulation library for citations in the demo content.

A key is ``(short name, article number)`` for the version in force, or ``(short name, article
number, "2012")`` for the superseded 2012 edition of 治安管理处罚法 (see
``courses.demo.regulation_pk``). Named once, here, so a typo is a NameError rather than a wrong
citation, and the course and exam demo data cite the same articles the same way.
"""

from __future__ import annotations

CRIMINAL_196 = ("刑法", "196")
CRIMINAL_226 = ("刑法", "226")
CRIMINAL_238 = ("刑法", "238")
CRIMINAL_245 = ("刑法", "245")
CRIMINAL_246 = ("刑法", "246")
CRIMINAL_253_1 = ("刑法", "253-1")
CRIMINAL_274 = ("刑法", "274")
CRIMINAL_293 = ("刑法", "293")
CRIMINAL_293_1 = ("刑法", "293-1")
PSL_30 = ("治安管理处罚法", "30")
PSL_47 = ("治安管理处罚法", "47")
PSL_50 = ("治安管理处罚法", "50")
PSL_51 = ("治安管理处罚法", "51")
PSL_56 = ("治安管理处罚法", "56")
PSL_58 = ("治安管理处罚法", "58")
PSL_2012_42 = ("治安管理处罚法", "42", "2012")
PIPL_6 = ("个人信息保护法", "6")
PIPL_10 = ("个人信息保护法", "10")
PIPL_13 = ("个人信息保护法", "13")
PIPL_28 = ("个人信息保护法", "28")
PIPL_66 = ("个人信息保护法", "66")
PIPL_69 = ("个人信息保护法", "69")
CIVIL_680 = ("民法典", "680")
CIVIL_1024 = ("民法典", "1024")
CIVIL_1032 = ("民法典", "1032")
CIVIL_1033 = ("民法典", "1033")
PRIVATE_LENDING_25 = ("民间借贷司法解释", "25")
PRIVATE_LENDING_29 = ("民间借贷司法解释", "29")
PRIVATE_LENDING_SCOPE_1 = ("民间借贷司法解释适用范围批复", "1")
BANK_CARD_2 = ("银行卡民事纠纷司法解释", "2")
BANK_CARD_3 = ("银行卡民事纠纷司法解释", "3")
