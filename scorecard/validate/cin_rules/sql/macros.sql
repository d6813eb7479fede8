-- Macros the census frame and the rules share (temporary: they live with the connection).

-- a record active in a census window: dated on or before RD and not ended before the start
create or replace temp macro cin_member(start_d, stop_d, cs, rd) as
    start_d <= rd and (stop_d is null or stop_d >= cs or start_d >= cs);

-- a date as it stood on the reference date: in the period return (id 0) a later date was not
-- yet known (a census file says what it says)
create or replace temp macro cin_as_at(d, return_id, rd) as
    case when return_id = 0 and d > rd then null else d end;

-- a list of codes held as text ("MOB HAND", "1A,3B"): split on spaces, commas, semicolons
create or replace temp macro cin_codes(s) as
    [x for x in string_split_regex(coalesce(trim(s), ''), '[\s,;|]+') if x <> ''];

-- characters 2-4 of a UPN are a DfE LA code (later: the 2023-24 list, which adds 942 and 943), as
-- three digits: 001-005, 201-213, 301-320, 330-336, 340-344, 350-359, 370-373, 380-384, 390-394,
-- 420, 660-681, 701-708, 800-803, 805-808, 810-813, 815, 816, 820-823, 825, 826, 830, 831,
-- 835-841, 845, 846, 850-852, 855-857, 860, 861, 865-896, 908, 909, 916, 919, 921, 925, 926, 928,
-- 929, 931, 933, 935-938, 940, 941 (one list lookup: a regular expression and a cast per range
-- were most of the rule's cost)
create or replace temp macro cin_upn_la(s, later) as
    list_contains([
        '001', '002', '003', '004', '005', '201', '202', '203', '204', '205', '206', '207', '208',
        '209', '210', '211', '212', '213', '301', '302', '303', '304', '305', '306', '307', '308',
        '309', '310', '311', '312', '313', '314', '315', '316', '317', '318', '319', '320', '330',
        '331', '332', '333', '334', '335', '336', '340', '341', '342', '343', '344', '350', '351',
        '352', '353', '354', '355', '356', '357', '358', '359', '370', '371', '372', '373', '380',
        '381', '382', '383', '384', '390', '391', '392', '393', '394', '420', '660', '661', '662',
        '663', '664', '665', '666', '667', '668', '669', '670', '671', '672', '673', '674', '675',
        '676', '677', '678', '679', '680', '681', '701', '702', '703', '704', '705', '706', '707',
        '708', '800', '801', '802', '803', '805', '806', '807', '808', '810', '811', '812', '813',
        '815', '816', '820', '821', '822', '823', '825', '826', '830', '831', '835', '836', '837',
        '838', '839', '840', '841', '845', '846', '850', '851', '852', '855', '856', '857', '860',
        '861', '865', '866', '867', '868', '869', '870', '871', '872', '873', '874', '875', '876',
        '877', '878', '879', '880', '881', '882', '883', '884', '885', '886', '887', '888', '889',
        '890', '891', '892', '893', '894', '895', '896', '908', '909', '916', '919', '921', '925',
        '926', '928', '929', '931', '933', '935', '936', '937', '938', '940', '941'
    ], s) or (later and s in ('942', '943'));
