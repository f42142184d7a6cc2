SELECT recipient FROM privacy.recipient LIMIT 1
