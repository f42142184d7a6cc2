-- The latest stored assessment of one survivor.
SELECT assessment_no, document FROM svc.assessments WHERE masked_id = ? ORDER BY assessment_no DESC LIMIT 1
