/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/contract/error-transfer.ts';
import { createLogService } from './log-service.ts';

installErrorTransfer();
expose(createLogService());
