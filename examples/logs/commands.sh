cbkit spec import spec/logs/model/logs-botocore-1.43.11.json -o logs.yaml
cbkit mock --spec bundled --spec logs.yaml --scenario examples/logs/throttle-logs.yaml &
aws logs describe-log-groups --log-group-name-prefix app --endpoint-url http://127.0.0.1:7766
aws codebuild list-projects --endpoint-url http://127.0.0.1:7766
aws logs delete-resource-policy --policy-name p --endpoint-url http://127.0.0.1:7766
aws codebuild delete-resource-policy --resource-arn arn:aws:codebuild:us-east-1:123456789012:project/my-app --endpoint-url http://127.0.0.1:7766
curl -s 'http://127.0.0.1:7766/__cbkit/requests?service=CloudWatch%20Logs'
