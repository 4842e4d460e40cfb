#!/usr/bin/env node
import { launch } from '@cnnpipe/core/launch';

launch(import.meta.url, 'saliency');
